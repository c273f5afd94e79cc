package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultRig.DB_LEASE;
import static dev.passport.plugins.vault.VaultRig.START;
import static dev.passport.plugins.vault.VaultRig.VOLUME;
import static dev.passport.plugins.vault.VaultRig.attributes;
import static dev.passport.plugins.vault.VaultRig.text;
import static dev.passport.plugins.vault.VaultRig.with;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest.Reason;
import dev.passport.api.Material;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.tools.vault.VaultLease;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a fetch does with each kind of answer for each {@link Reason} (issue 15 item 4; issue 16
 * items 4 and 10): KV is read again, leases, certificates and anything a write issued are
 * returned unchanged on a token rotation and reused until due.
 */
class VaultLifetimeTest {

  private static final String PKI = """
      - objectName: tls.crt
        secretPath: pki/issue/web
        method: POST
        secretArgs: {common_name: web.shop.svc}
        secretKey: certificate
      - objectName: tls.key
        secretPath: pki/issue/web
        method: POST
        secretArgs: {common_name: web.shop.svc}
        secretKey: private_key
      """;
  private static final String KV = """
      - objectName: password
        secretPath: secret/data/shop/db
        secretKey: password
      """;
  private static final String DB = """
      - objectName: db-username
        secretPath: database/creds/app
        secretKey: username
      """;
  private static final Duration CERT = Duration.ofHours(3);

  @RegisterExtension final LogCapture logs = new LogCapture();

  private VaultRig rig;

  @BeforeEach
  void start() throws Exception {
    rig = VaultRig.start();
    rig.vault.pkiRole("web", CERT);
    rig.vault.kvPut("secret", "shop/db", Map.of("password", "first"));
  }

  @AfterEach
  void stop() {
    LogHygiene.assertNoSecrets(rig.secrets(), logs.lines());
    rig.close();
  }

  @Test
  void pkiWithoutLease_refreshesAtTwoThirdsOfItsLifeAndExpiresAtNotAfter() throws Exception {
    Material material = rig.fetch(attributes(PKI));

    // Vault's default PKI role (generate_lease=false) answers no lease: the certificate's
    // expiration is all there is (issue 16 item 4)
    assertThat(rig.vault.leases()).isEmpty();
    assertThat(material.refreshAt()).hasValue(START.plus(Duration.ofHours(2)));
    assertThat(material.expiresAt()).hasValue(START.plus(CERT));
  }

  @Test
  void pkiWithoutLease_dueFetchBeforeTwoThirds_reusesTheCertificate() throws Exception {
    Material first = rig.fetch(attributes(PKI));

    // the host refreshes early (jitter, the republish before refreshAt): no re-issue before 2/3
    rig.clock.advance(Duration.ofMinutes(110));
    rig.rotatePodToken();
    Material early = rig.fetch(VOLUME, attributes(PKI), Map.of("vault", rig.podToken()),
        rig.clock.instant().plusSeconds(30), ByteBudget.unlimited(), Reason.DUE);
    rig.clock.advance(Duration.ofMinutes(10));
    Material due = rig.fetch(VOLUME, attributes(PKI), Map.of("vault", rig.podToken()),
        rig.clock.instant().plusSeconds(30), ByteBudget.unlimited(), Reason.DUE);

    assertThat(early.files()).isEqualTo(first.files());
    assertThat(text(due, "tls.crt")).isNotEqualTo(text(first, "tls.crt"));
    assertThat(rig.vault.reads("pki/issue/web")).isEqualTo(2);
    assertThat(due.refreshAt()).hasValue(rig.clock.instant().plus(Duration.ofHours(2)));
  }

  @Test
  void tokenRotation_pkiOnly_returnsPreviousWithoutCallingVault() throws Exception {
    Material first = rig.fetch(attributes(PKI));
    int requests = rig.vault.requests().size();

    rig.clock.advance(Duration.ofMinutes(48));
    Material rotated = rig.fetchAfterRotation(attributes(PKI));

    assertThat(rotated).isSameAs(rig.lastPrevious());
    assertThat(rotated.files()).isEqualTo(first.files());
    assertThat(rig.vault.requests()).as("no login, no issuance").hasSize(requests);
  }

  @Test
  void tokenRotation_mixedVolume_rereadsKvAndKeepsCertificateAndLease() throws Exception {
    Map<String, String> attributes = attributes(PKI + KV + DB);
    Material first = rig.fetch(attributes);

    rig.clock.advance(Duration.ofMinutes(4));
    rig.vault.kvPut("secret", "shop/db", Map.of("password", "second"));
    Material rotated = rig.fetchAfterRotation(attributes);

    assertThat(text(rotated, "password")).isEqualTo("second");
    assertThat(text(rotated, "tls.key")).isEqualTo(text(first, "tls.key"));
    assertThat(text(rotated, "db-username")).isEqualTo(text(first, "db-username"));
    assertThat(rig.vault.reads("pki/issue/web")).isEqualTo(1);
    assertThat(rig.vault.reads("database/creds/app")).isEqualTo(1);
    assertThat(rig.vault.renewals()).isZero();
    assertThat(rig.vault.logins()).isEqualTo(1);
    // the KV object's interval starts again; the lease and the certificate keep their instants
    assertThat(rotated.refreshAt()).hasValue(rig.clock.instant().plus(Duration.ofMinutes(5)));
    assertThat(rotated.expiresAt()).hasValue(START.plus(DB_LEASE));
  }

  @Test
  void tokenRotation_withoutKnownState_fetchesEverything() throws Exception {
    rig.fetch(attributes(PKI));

    // a plugin restarted with the host: the previous files are there, their kind is not known
    rig.restartBackend();
    rig.fetchAfterRotation(attributes(PKI));

    assertThat(rig.vault.reads("pki/issue/web")).isEqualTo(2);
  }

  @Test
  void attributesChanged_issuesAgain() throws Exception {
    Material first = rig.fetch(attributes(PKI));

    Material changed = rig.fetch(with(attributes(PKI), "revokeOnUnpublish", "false"));

    assertThat(text(changed, "tls.crt")).isNotEqualTo(text(first, "tls.crt"));
    assertThat(rig.vault.reads("pki/issue/web")).isEqualTo(2);
  }

  @Test
  void leasedPki_tokenRotation_returnsItUnchanged() throws Exception {
    rig.vault.pkiRoleWithLease("leased", CERT);
    String objects = PKI.replace("pki/issue/web", "pki/issue/leased");
    Material first = rig.fetch(attributes(objects));

    rig.clock.advance(Duration.ofMinutes(50));
    Material rotated = rig.fetchAfterRotation(attributes(objects));

    assertThat(rotated.files()).isEqualTo(first.files());
    assertThat(rig.vault.reads("pki/issue/leased")).isEqualTo(1);
    assertThat(first.expiresAt()).hasValue(START.plus(CERT));
  }

  @Test
  void supersededLeases_expiredOnes_areNotRevokedOnRelease() throws Exception {
    Map<String, String> attributes = with(attributes(DB), "revokeOnUnpublish", "true");
    rig.fetch(attributes);
    // a refused renewal makes the next due fetch read new credentials: the first lease is superseded
    rig.vault.failPath("sys/leases/renew", 400);
    rig.clock.advance(Duration.ofMinutes(20));
    rig.fetch(attributes);
    rig.clock.advance(Duration.ofMinutes(20));
    rig.fetch(attributes);
    rig.vault.clearFailures();

    // the first lease (30 minutes from START) is over; only the two later ones need revoking
    rig.clock.advance(Duration.ofMinutes(1));
    rig.backend.release(VOLUME);

    assertThat(rig.vault.leases()).hasSize(3);
    assertThat(rig.vault.leases()).extracting(VaultLease::revoked).containsExactly(false, true, true);
    assertThat(rig.vault.revocations()).isEqualTo(2);
  }

  @Test
  void supersededLeases_manyAttributeChanges_keepAtMostTheBound() throws Exception {
    for (int i = 0; i < VaultBackend.MAX_RETIRED_LEASES + 10; i++) {
      // each new attribute set is CHANGED: new credentials, the old lease superseded
      rig.fetch(with(with(attributes(DB), "revokeOnUnpublish", "true"), "vaultNamespace", ""
          + " ".repeat(i)));
    }

    rig.backend.release(VOLUME);

    assertThat(rig.vault.revocations()).isEqualTo(VaultBackend.MAX_RETIRED_LEASES + 1);
  }
}
