package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultHost.attributes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.testkit.Pods;
import dev.passport.tools.vault.VaultRole;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16's "24 simulated hours": pods with KV, database credentials and PKI certificates,
 * republished by a fake kubelet every 90 s through the real host, with kubelet rotating the pod
 * token every hour. Counts what Vault saw: logins per Vault token TTL, certificate issuances
 * against their lifetime, tokens left alive.
 */
class VaultTokenRotationDayTest {

  private static final Duration POD_SYNC = Duration.ofSeconds(90);
  private static final Duration DAY = Duration.ofHours(24);
  /** kubelet renews a token at 80 % of its TTL: 75 minutes give an hourly rotation. */
  private static final Duration POD_TOKEN_TTL = Duration.ofMinutes(75);
  private static final Duration VAULT_TOKEN_TTL = Duration.ofHours(1);
  /** Renewals end here, so the day also sees tokens replaced (and, so, revoked). */
  private static final Duration VAULT_TOKEN_MAX_TTL = Duration.ofHours(6);
  private static final Duration LONG_CERT = Duration.ofDays(90);
  private static final Duration SHORT_CERT = Duration.ofHours(3);
  private static final int PODS = 2;

  private static final String OBJECTS = """
      - objectName: api-key
        secretPath: secret/data/shop/api
        secretKey: key
      - objectName: db/username
        secretPath: database/creds/app
        secretKey: username
      - objectName: long/tls.crt
        secretPath: pki/issue/long
        method: POST
        secretArgs: {common_name: web.shop.svc}
        secretKey: certificate
      - objectName: long/tls.key
        secretPath: pki/issue/long
        method: POST
        secretArgs: {common_name: web.shop.svc}
        secretKey: private_key
      - objectName: short/tls.crt
        secretPath: pki/issue/short
        method: POST
        secretArgs: {common_name: web.shop.svc}
        secretKey: certificate
      """;

  @TempDir Path dir;
  @RegisterExtension final VaultHost rig = new VaultHost();

  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    rig.vault.addRole("kubernetes", VaultRole.of("web", "shop", "*")
        .withTokenTtl(VAULT_TOKEN_TTL).withTokenMaxTtl(VAULT_TOKEN_MAX_TTL));
    rig.vault.databaseRole("app", Duration.ofHours(1), Duration.ofHours(24));
    rig.vault.pkiRole("", "pki", "long", LONG_CERT);
    rig.vault.pkiRole("", "pki", "short", SHORT_CERT);
    rig.vault.kvPut("secret", "shop/api", Map.of("key", "kv-value"));
    kubelet = rig.startHost(dir, Map.of(), host -> host
        .refreshInterval(Duration.ofMinutes(30))
        .fetchTimeout(Duration.ofSeconds(20))).kubelet();
  }

  @Test
  void day_hourlyTokenRotation_loginsFollowTheVaultTokenAndCertificatesTheirLifetime() {
    List<MountedVolume> volumes = new ArrayList<>();
    List<Issuances> shortCerts = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      Pod pod = Pods.pod("shop", "web-" + i, "web-" + i);
      MountedVolume volume = kubelet.mount(rig.volume(pod, "secrets", attributes(OBJECTS),
          Set.of("vault")).withTokenTtl(POD_TOKEN_TTL));
      volumes.add(volume);
      shortCerts.add(new Issuances(volume.read("short/tls.crt"), rig.clock.instant()));
    }
    Map<MountedVolume, String> longCerts = new HashMap<>();
    volumes.forEach(volume -> longCerts.put(volume, volume.read("long/tls.crt")));
    Set<Instant> podTokenExpiries = new HashSet<>();

    Instant end = rig.clock.instant().plus(DAY);
    while (rig.clock.instant().isBefore(end)) {
      rig.clock.advance(POD_SYNC);
      for (int i = 0; i < PODS; i++) {
        MountedVolume volume = volumes.get(i);
        kubelet.republish(volume);
        podTokenExpiries.add(volume.tokens().get("vault").expiresAt());
        shortCerts.get(i).observe(volume.read("short/tls.crt"), rig.clock.instant());
      }
    }

    assertThat(podTokenExpiries).as("kubelet rotated the pod tokens hourly").hasSizeGreaterThanOrEqualTo(23);
    long tokenLifetimes = DAY.dividedBy(VAULT_TOKEN_TTL);
    assertThat(rig.vault.logins()).as("at most one login per pod per Vault token TTL")
        .isLessThanOrEqualTo(PODS * tokenLifetimes);
    // renewals carry a token close to its 6-hour max TTL: a login per pod about every 5.5 hours
    assertThat(rig.vault.logins()).isBetween(PODS * 4L, PODS * 5L);
    assertThat(rig.vault.tokenRenewals()).as("the token is renewed, not replaced").isGreaterThan(rig.vault.logins());
    // a replaced token is revoked unless it had already expired (then there is nothing to revoke)
    assertThat(rig.vault.tokenRevocations()).as("replaced tokens are revoked")
        .isPositive().isLessThanOrEqualTo(rig.vault.logins() - PODS);
    assertThat(rig.vault.liveTokens()).as("no replaced token left alive: one per pod").isEqualTo(PODS);

    assertThat(rig.vault.reads("pki/issue/long")).as("90-day certificates: issued once").isEqualTo(PODS);
    volumes.forEach(volume -> assertThat(volume.read("long/tls.crt")).isEqualTo(longCerts.get(volume)));
    for (Issuances certs : shortCerts) {
      assertThat(certs.gaps()).as("3-hour certificates: each replaced at 2/3 of its life or later")
          .allSatisfy(gap -> assertThat(gap).isGreaterThanOrEqualTo(SHORT_CERT.multipliedBy(2).dividedBy(3)))
          .hasSizeGreaterThanOrEqualTo(11);
    }
    assertThat(rig.vault.reads("pki/issue/short")).isEqualTo(PODS + shortCerts.stream()
        .mapToLong(certs -> certs.gaps().size()).sum());

    volumes.forEach(kubelet::unmount);
    assertThat(rig.vault.liveTokens()).as("unpublishing a pod's last volume revokes its token").isZero();
  }

  /** When a volume's certificate changed, as seen at each republish. */
  private static final class Issuances {
    private String current;
    private Instant since;
    private final List<Duration> gaps = new ArrayList<>();

    Issuances(String first, Instant at) {
      current = first;
      since = at;
    }

    void observe(String certificate, Instant at) {
      if (!certificate.equals(current)) {
        gaps.add(Duration.between(since, at));
        current = certificate;
        since = at;
      }
    }

    List<Duration> gaps() {
      return gaps;
    }
  }
}
