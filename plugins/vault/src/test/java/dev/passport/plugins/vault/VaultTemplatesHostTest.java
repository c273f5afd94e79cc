package dev.passport.plugins.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.Pod;
import dev.passport.conformance.CsiCallException;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Templates (issue 23) with the vault backend inside the real host, over the CSI socket, against
 * the Vault-API dev server: one file from two Vault objects, a renewal that keeps the rendered
 * credential, a re-issued credential that changes raw and rendered files in one swap, and
 * republishes with nothing due that cost Vault nothing and write nothing.
 */
class VaultTemplatesHostTest {

  private static final Duration POD_SYNC = Duration.ofSeconds(90);

  /** A dynamic credential and a KV secret: two objects, two Vault paths, one rendered file. */
  private static final String OBJECTS = """
      - objectName: db-username
        secretPath: database/creds/%s
        secretKey: username
      - objectName: db-password
        secretPath: database/creds/%s
        secretKey: password
      - objectName: api.json
        secretPath: secret/data/shop/api
      """;
  private static final String TEMPLATES = """
      - fileName: app.env
        mode: "0440"
        template: |
          DATABASE_URL=postgres://{{db-username}}:{{#url}}{{db-password}}{{/url}}@db.{{pod.namespace}}:5432/app
          API_KEY={{#shell}}{{api.json//data/data/key}}{{/shell}}
      """;

  @TempDir Path dir;
  @RegisterExtension final LogCapture logs = new LogCapture();

  private final FakeClock clock = FakeClock.at(Instant.parse("2026-12-01T12:00:00Z"));
  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final Pod pod = Pods.pod("shop", "web-0", "web");
  private VaultDevServer vault;
  private PassportHost host;
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    vault = VaultDevServer.start(tokens, clock);
    vault.addRole("kubernetes", VaultRole.of("web", "shop", "web").withTokenTtl(Duration.ofHours(1)));
    vault.databaseRole("app", Duration.ofHours(1), Duration.ofHours(24));
    // renewal can never reach a second lease period: the first refresh reads a new credential
    vault.databaseRole("capped", Duration.ofMinutes(30), Duration.ofMinutes(31));
    vault.kvPut("secret", "shop/api", Map.of("key", "it's-a-key"));
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new VaultBackendFactory(), Map.of("vaultAddress", vault.address()))
        .clock(clock)
        .refreshInterval(Duration.ofHours(1))
        .fetchTimeout(Duration.ofSeconds(20))
        .nodeId("node-1")
        .start();
    kubelet = FakeKubelet.connect(host.socket(), tokens, clock);
  }

  @AfterEach
  void stop() {
    kubelet.close();
    host.close();
    Set<String> secrets = new HashSet<>(tokens.minted());
    secrets.addAll(vault.issuedClientTokens());
    vault.close();
    LogHygiene.assertNoSecrets(secrets, logs.lines());
  }

  @Test
  void templateCombiningTwoVaultObjects_rendersOneFile_besideTheRawFiles() throws Exception {
    MountedVolume volume = kubelet.mount(volume("app"));

    String username = volume.read("db-username");
    String password = volume.read("db-password");
    assertThat(volume.read("app.env")).isEqualTo("DATABASE_URL=postgres://" + username + ":"
        + password + "@db.shop:5432/app\nAPI_KEY='it'\\''s-a-key'\n");
    assertThat(Files.getPosixFilePermissions(volume.file("app.env")))
        .hasSameElementsAs(java.nio.file.attribute.PosixFilePermissions.fromString("r--r-----"));
  }

  @Test
  void republishesWithNothingDue_noVaultCall_noWrite() throws Exception {
    MountedVolume volume = kubelet.mount(volume("app"));
    String data = dataDir(volume);
    long requests = vault.requests().size();

    for (int i = 0; i < 10; i++) {
      clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(vault.requests()).hasSize((int) requests);
    assertThat(dataDir(volume)).isEqualTo(data);
  }

  @Test
  void dynamicCredentialRenewal_reRendersTheSameCredential() throws Exception {
    MountedVolume volume = kubelet.mount(volume("app"));
    String rendered = volume.read("app.env");

    // 30 pod syncs of 90 s: 45 minutes, past 2/3 of the one-hour lease
    for (int i = 0; i < 30; i++) {
      clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(vault.renewals()).isEqualTo(1);
    assertThat(vault.reads("database/creds/app")).isEqualTo(1);
    // the renewal's fetch re-read the KV secret too (a whole answer, with a new request_id), so
    // the volume was rewritten; the credential rendered into app.env is the renewed one
    assertThat(volume.read("app.env")).isEqualTo(rendered);
  }

  @Test
  void leaseReIssue_changesRawAndRenderedFilesInOneSwap() throws Exception {
    MountedVolume volume = kubelet.mount(volume("capped"));
    String firstUser = volume.read("db-username");
    String firstData = dataDir(volume);

    // past 2/3 of the 30-minute lease, which renewal cannot extend: a new credential
    for (int i = 0; i < 16; i++) {
      clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(vault.reads("database/creds/capped")).isEqualTo(2);
    String data = dataDir(volume);
    assertThat(data).isNotEqualTo(firstData);
    // one ..data target holds both: the raw credential and the file rendered from it
    Path swapped = volume.targetPath().resolve(data);
    String user = Files.readString(swapped.resolve("db-username"));
    assertThat(user).isNotEqualTo(firstUser);
    assertThat(Files.readString(swapped.resolve("app.env")))
        .startsWith("DATABASE_URL=postgres://" + user + ":" + Files.readString(swapped.resolve("db-password")));
  }

  @Test
  void templateReferringToAMissingKey_isInvalidArgument_beforeAnyWrite() {
    Map<String, String> attributes = attributes("app");
    attributes.put("templates", "- fileName: x\n  template: '{{api.json//nope}}'\n");

    CsiCallException e = catchThrowableOfType(CsiCallException.class,
        () -> kubelet.mount(volume("app").withAttributes(attributes)));

    assertThat(e.code()).isEqualTo(CsiCallException.Code.INVALID_ARGUMENT);
    assertThat(e.description()).contains("template \"x\"").contains("\"api.json//nope\"")
        .doesNotContain("it's-a-key");
  }

  private static String dataDir(MountedVolume volume) throws IOException {
    return Files.readSymbolicLink(volume.targetPath().resolve("..data")).toString();
  }

  private PodVolume volume(String role) {
    return PodVolume.of(pod, "secrets", dir.resolve("kubelet"), attributes(role), Set.of("vault"));
  }

  private static Map<String, String> attributes(String role) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("backend", "vault");
    attributes.put("roleName", "web");
    attributes.put("objects", OBJECTS.formatted(role, role));
    attributes.put("templates", TEMPLATES);
    return attributes;
  }
}
