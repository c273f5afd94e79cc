package dev.passport.plugins.vault;

import static java.nio.charset.StandardCharsets.UTF_8;
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
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRequest;
import dev.passport.tools.vault.VaultRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * vault-csi-provider v1.7.4's own SecretProviderClasses ({@code test/bats/configs/*.yaml},
 * {@code internal/config/testdata/example-parameters-string.txt}), their {@code parameters}
 * transcribed as facts, mounted through the real host over the CSI socket against the Vault-API
 * dev server answering exactly what a real Vault answers ({@link VaultDevServer#answerVerbatim}).
 * Each file is compared byte for byte with what vault-csi-provider writes for that answer; the
 * expected bytes are written out here from its rules:
 *
 * <ul>
 *   <li>with {@code secretKey}: the value from {@code data.data} (KV v2) or {@code data}; a string
 *       as its bytes, anything else {@code json.Marshal}'d; then {@code encoding} decoded;
 *   <li>without: {@code json.Marshal(api.Secret)}: fields {@code request_id, lease_id,
 *       lease_duration, renewable, data, warnings} always, {@code auth, wrap_info, mount_type}
 *       only when set; map keys sorted; numbers as Vault wrote them ({@code UseNumber}); {@code <
 *       > &} escaped as {@code \}{@code u003c \}{@code u003e \}{@code u0026};
 *   <li>mode {@code filePermission}, else the default 0644 (the bats test checks {@code 644}).
 * </ul>
 *
 * <p>Left out of the transcription: the TLS parameters ({@code vaultCACertPath},
 * {@code vaultTLSClient*}: files in the bats cluster; TLS is tested in {@link VaultTlsTest}) and
 * {@code vaultAddress} (the dev server's). One host for the class keeps it to seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaultCsiProviderFidelityHostTest {

  private static final String REQUEST_ID = "8c5c7f2b-3a8e-4f0e-a2d7-5d3f6c1e9b40";

  /** A KV v2 read as Vault 1.15+ answers {@code vault kv put secret/<path> <key>=<value>}. */
  private static String kv2(String key, String value) {
    return "{\"request_id\":\"" + REQUEST_ID + "\",\"lease_id\":\"\",\"renewable\":false,"
        + "\"lease_duration\":0,\"data\":{\"data\":{\"" + key + "\":\"" + value + "\"},"
        + "\"metadata\":{\"created_time\":\"2026-11-26T11:00:00.5Z\",\"custom_metadata\":null,"
        + "\"deletion_time\":\"\",\"destroyed\":false,\"version\":1}},\"wrap_info\":null,"
        + "\"warnings\":null,\"auth\":null,\"mount_type\":\"kv\"}";
  }

  private static final String DB_CREDS = "{\"request_id\":\"" + REQUEST_ID + "\","
      + "\"lease_id\":\"database/creds/test-role/Hq3TbH0sYh0n8TkzRf1G2Ewz\",\"renewable\":true,"
      + "\"lease_duration\":3600,\"data\":{\"password\":\"Bq-8sP3xLk2-Zr0w\","
      + "\"username\":\"v-kubernet-test-rol-Xy7sK2fQ-1764158400\"},\"wrap_info\":null,"
      + "\"warnings\":null,\"auth\":null,\"mount_type\":\"database\"}";

  /** pki/issue as Vault answers it: a role's default generate_lease=false gives no lease. */
  private static final String PKI_ISSUE = "{\"request_id\":\"" + REQUEST_ID + "\",\"lease_id\":\"\","
      + "\"renewable\":false,\"lease_duration\":0,\"data\":{\"certificate\":\"-----BEGIN CERTIFICATE-----"
      + "\\nMIIB+zCCAaGgAwIBAgIU/test+cert\\n-----END CERTIFICATE-----\",\"expiration\":1795780800,"
      + "\"issuing_ca\":\"-----BEGIN CERTIFICATE-----\\nMIIBca\\n-----END CERTIFICATE-----\","
      + "\"ca_chain\":[\"-----BEGIN CERTIFICATE-----\\nMIIBca\\n-----END CERTIFICATE-----\"],"
      + "\"private_key\":\"-----BEGIN RSA PRIVATE KEY-----\\nMIIEkey\\n-----END RSA PRIVATE KEY-----\","
      + "\"private_key_type\":\"rsa\",\"serial_number\":\"39:dd:2e:90\"},\"wrap_info\":null,"
      + "\"warnings\":null,\"auth\":null,\"mount_type\":\"pki\"}";

  /** {@code json.Marshal} of PKI_ISSUE: struct order, data keys sorted, nil auth/wrap_info left out. */
  private static final String PKI_ISSUE_FILE = "{\"request_id\":\"" + REQUEST_ID + "\","
      + "\"lease_id\":\"\",\"lease_duration\":0,\"renewable\":false,\"data\":{\"ca_chain\":"
      + "[\"-----BEGIN CERTIFICATE-----\\nMIIBca\\n-----END CERTIFICATE-----\"],\"certificate\":"
      + "\"-----BEGIN CERTIFICATE-----\\nMIIB+zCCAaGgAwIBAgIU/test+cert\\n-----END CERTIFICATE-----\","
      + "\"expiration\":1795780800,\"issuing_ca\":\"-----BEGIN CERTIFICATE-----\\nMIIBca\\n"
      + "-----END CERTIFICATE-----\",\"private_key\":\"-----BEGIN RSA PRIVATE KEY-----\\nMIIEkey\\n"
      + "-----END RSA PRIVATE KEY-----\",\"private_key_type\":\"rsa\",\"serial_number\":\"39:dd:2e:90\"},"
      + "\"warnings\":null,\"mount_type\":\"pki\"}";

  @TempDir static Path dir;

  private final FakeClock clock = FakeClock.at(Instant.parse("2026-11-26T12:00:00Z"));
  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final Pod pod = Pods.pod("test", "nginx", "kv");
  private final AtomicInteger volumes = new AtomicInteger();
  private VaultDevServer vault;
  private PassportHost host;
  private FakeKubelet kubelet;

  @BeforeAll
  void start() throws Exception {
    vault = VaultDevServer.start(tokens, clock);
    for (String role : new String[] {"kv-role", "db-role", "pki-role", "all-role", "example-role"}) {
      vault.addRole("kubernetes", VaultRole.of(role, "test", "kv"));
    }
    vault.addRole("jwt", VaultRole.of("jwt-kv-role", "test", "kv"));
    vault.addRole("kubernetes", VaultRole.of("kv-custom-audience-role", "test", "kv")
        .withAudience("custom-audience"));
    vault.addRole("acceptance", "kubernetes", VaultRole.of("kv-namespace-role", "test", "kv"));
    // provider.bats' setup: vault kv put secret/kv1 bar1=hello1 and so on
    vault.answerVerbatim("secret/data/kv1", kv2("bar1", "hello1"));
    vault.answerVerbatim("secret/data/kv2", kv2("bar2", "hello2"));
    vault.answerVerbatim("secret/data/kv-sync1", kv2("bar1", "hello-sync1"));
    vault.answerVerbatim("secret/data/kv-sync2", kv2("bar2", "hello-sync2"));
    vault.answerVerbatim("secret/data/kv-sync3", kv2("bar3", "aGVsbG8tc3luYzM="));
    vault.answerVerbatim("secret/data/kv1-namespace", kv2("greeting", "hello-namespaces"));
    vault.answerVerbatim("secret/data/kv-custom-audience", kv2("bar", "hello-custom-audience"));
    vault.answerVerbatim("database/creds/test-role", DB_CREDS);
    vault.answerVerbatim("pki/issue/example-dot-com", PKI_ISSUE);
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

  @AfterAll
  void stop() {
    kubelet.close();
    host.close();
    vault.close();
  }

  @Test
  void vaultKvSecretProviderClass_filesAndModesAsTheBatsTestExpects() throws Exception {
    MountedVolume volume = mount(Map.of("roleName", "kv-role", "audience", "vault", "objects", """
        - objectName: "secret-1"
          secretPath: "secret/data/kv1"
          secretKey: "bar1"
          filePermission: 0624
        - objectName: "secret-2"
          secretPath: "secret/data/kv2"
          secretKey: "bar2"
        """));

    assertFile(volume, "secret-1", "hello1", "rw--w-r--");   // 0624, "Check file permission is non-default"
    assertFile(volume, "secret-2", "hello2", "rw-r--r--");   // 644, "Check file permission is default"
  }

  @Test
  void vaultKvSyncSecretProviderClass_v1PrefixesAndBase64() throws Exception {
    MountedVolume volume = mount(Map.of("roleName", "kv-role", "audience", "vault", "objects", """
        - objectName: "secret-1"
          secretPath: "/v1/secret/data/kv-sync1"
          secretKey: "bar1"
        - objectName: "secret-2"
          secretPath: "v1/secret/data/kv-sync2"
          secretKey: "bar2"
        - objectName: "secret-3"
          secretPath: "/v1/secret/data/kv-sync3"
          secretKey: "bar3"
          encoding: "base64"
        """));

    assertFile(volume, "secret-1", "hello-sync1", "rw-r--r--");
    assertFile(volume, "secret-2", "hello-sync2", "rw-r--r--");
    assertFile(volume, "secret-3", "hello-sync3", "rw-r--r--");
  }

  @Test
  void vaultKvSyncMultipleSecretProviderClass_leadingSlashPath() throws Exception {
    MountedVolume volume = mount(Map.of("roleName", "kv-role", "audience", "vault", "objects", """
        - objectName: "secret-1"
          secretPath: "/secret/data/kv-sync1"
          secretKey: "bar1"
        """));

    assertFile(volume, "secret-1", "hello-sync1", "rw-r--r--");
  }

  @Test
  void vaultPkiSecretProviderClass_wholeAnswerIsJsonMarshalOfApiSecret() throws Exception {
    MountedVolume volume = mount(Map.of("roleName", "pki-role", "audience", "vault", "objects", """
        - objectName: "certs"
          secretPath: "pki/issue/example-dot-com"
          secretArgs:
            common_name: "test.example.com"
            ttl: "24h"
          method: "PUT"
        """));

    assertFile(volume, "certs", PKI_ISSUE_FILE, "rw-r--r--");
    // SetJSONBody(secretArgs): json.Marshal of the map, keys sorted
    assertThat(vault.lastRequestBody("pki/issue/example-dot-com"))
        .contains("{\"common_name\":\"test.example.com\",\"ttl\":\"24h\"}");
  }

  @Test
  void vaultDbSecretProviderClass_sameCredentialsReadOnce() throws Exception {
    long before = vault.reads("database/creds/test-role");
    MountedVolume volume = mount(Map.of("roleName", "db-role", "audience", "vault", "objects", """
        - objectName: "dbUsername"
          secretPath: "database/creds/test-role"
          secretKey: "username"
        - objectName: "dbPassword"
          secretPath: "database/creds/test-role"
          secretKey: "password"
        """));

    assertFile(volume, "dbUsername", "v-kubernet-test-rol-Xy7sK2fQ-1764158400", "rw-r--r--");
    assertFile(volume, "dbPassword", "Bq-8sP3xLk2-Zr0w", "rw-r--r--");
    assertThat(vault.reads("database/creds/test-role") - before).isEqualTo(1);
  }

  @Test
  void vaultAllSecretProviderClass_everyEngineInOneVolume() throws Exception {
    MountedVolume volume = mount(Map.of("roleName", "all-role", "audience", "vault", "objects", """
        - objectName: "dbUsername"
          secretPath: "database/creds/test-role"
          secretKey: "username"
        - objectName: "dbPassword"
          secretPath: "database/creds/test-role"
          secretKey: "password"
        - objectName: "certs"
          secretPath: "pki/issue/example-dot-com"
          secretArgs:
            common_name: "test.example.com"
            ttl: "24h"
          method: "PUT"
        - objectName: "secret-1"
          secretPath: "secret/data/kv1"
          secretKey: "bar1"
        """));

    assertFile(volume, "dbUsername", "v-kubernet-test-rol-Xy7sK2fQ-1764158400", "rw-r--r--");
    assertFile(volume, "dbPassword", "Bq-8sP3xLk2-Zr0w", "rw-r--r--");
    assertFile(volume, "certs", PKI_ISSUE_FILE, "rw-r--r--");
    assertFile(volume, "secret-1", "hello1", "rw-r--r--");
  }

  @Test
  void vaultKvSecretProviderClassJwtAuth_jwtMount() throws Exception {
    MountedVolume volume = mount(Map.of("roleName", "jwt-kv-role", "vaultAuthMountPath", "jwt",
        "audience", "vault", "objects", """
        - objectName: "secret-1"
          secretPath: "secret/data/kv1"
          secretKey: "bar1"
          filePermission: 0644
        """));

    assertFile(volume, "secret-1", "hello1", "rw-r--r--");
  }

  @Test
  void vaultKvNamespaceSecretProviderClass_namespaceHeader() throws Exception {
    MountedVolume volume = mount(Map.of("roleName", "kv-namespace-role", "audience", "vault",
        "vaultNamespace", "acceptance", "objects", """
        - objectName: "secret-1"
          secretPath: "secret/data/kv1-namespace"
          secretKey: "greeting"
        """));

    assertFile(volume, "secret-1", "hello-namespaces", "rw-r--r--");
    assertThat(vault.requests()).anyMatch(r -> r.path().equals("secret/data/kv1-namespace")
        && r.namespace().equals("acceptance"));
  }

  @Test
  void vaultKvCustomAudienceSecretProviderClass_tokenForThatAudience() throws Exception {
    Map<String, String> attributes = attributes(Map.of("audience", "custom-audience",
        "roleName", "kv-custom-audience-role", "objects", """
        - objectName: "secret"
          secretPath: "secret/data/kv-custom-audience"
          secretKey: "bar"
        """));
    MountedVolume volume = kubelet.mount(PodVolume.of(pod, "v" + volumes.incrementAndGet(),
        dir.resolve("kubelet"), attributes, Set.of("custom-audience")));

    assertFile(volume, "secret", "hello-custom-audience", "rw-r--r--");
  }

  @Test
  void exampleParametersString_noSecretKey_wholeAnswers() throws Exception {
    // internal/config/testdata: vaultSkipTLSVerify "true" is left out (an operator opt-in here)
    vault.answerVerbatim("secret/foo1", "{\"request_id\":\"r1\",\"lease_id\":\"\",\"renewable\":false,"
        + "\"lease_duration\":2764800,\"data\":{\"z\":\"<b>&amp;</b>\",\"n\":1.50,\"a\":[1e3]},"
        + "\"wrap_info\":null,\"warnings\":null,\"auth\":null,\"mount_type\":\"kv\"}");
    vault.answerVerbatim("secret/foo2", "{\"data\":{\"k\":\"v\"},\"warnings\":[\"w\"]}");
    MountedVolume volume = mount(Map.of("roleName", "example-role", "audience", "vault",
        "objects", "- secretPath: \"v1/secret/foo1\"\n  objectName: \"bar1\"\n  method: \"GET\"\n"
            + "- secretPath: \"v1/secret/foo2\"\n  objectName: \"bar2\""));

    // KV v1's lease_duration is a TTL hint: written as it came; HTML escaped; literals kept
    assertFile(volume, "bar1", "{\"request_id\":\"r1\",\"lease_id\":\"\",\"lease_duration\":2764800,"
        + "\"renewable\":false,\"data\":{\"a\":[1e3],\"n\":1.50,"
        + "\"z\":\"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e\"},\"warnings\":null,"
        + "\"mount_type\":\"kv\"}", "rw-r--r--");
    // fields Vault left out are written with their zero values, in struct order
    assertFile(volume, "bar2", "{\"request_id\":\"\",\"lease_id\":\"\",\"lease_duration\":0,"
        + "\"renewable\":false,\"data\":{\"k\":\"v\"},\"warnings\":[\"w\"]}", "rw-r--r--");
  }

  @Test
  void yamlV3Fidelity_namesNullValuesAndNumbers_throughTheHost() throws Exception {
    vault.answerVerbatim("secret/data/types", "{\"data\":{\"data\":{\"yes\":\"y\",\"nil\":null,"
        + "\"num\":1e3,\"obj\":{\"b\":\"x<y\",\"a\":1.10}},\"metadata\":{}}}");
    MountedVolume volume = mount(Map.of("roleName", "kv-role", "objects", """
        - {objectName: yes, secretPath: secret/data/types, secretKey: yes, filePermission: 0}
        - {objectName: 0755, secretPath: secret/data/types, secretKey: nil}
        - {objectName: num, secretPath: secret/data/types, secretKey: num, filePermission: 0440}
        - {objectName: obj, secretPath: secret/data/types, secretKey: obj}
        """));

    assertFile(volume, "yes", "y", "rw-r--r--");             // not "true"; 0 is the default
    assertFile(volume, "0755", "null", "rw-r--r--");         // not "493"; null is written as null
    assertFile(volume, "num", "1e3", "r--r-----");
    assertFile(volume, "obj", "{\"a\":1.10,\"b\":\"x\\u003cy\"}", "rw-r--r--");
  }

  @Test
  void listMethodAndPathWithSpaces_areSentAsVaultClientsSendThem() throws Exception {
    vault.answerVerbatim("secret/metadata/my app", "{\"data\":{\"keys\":[\"a\",\"b/\"]}}");
    MountedVolume volume = mount(Map.of("roleName", "kv-role", "objects", """
        - {objectName: keys, secretPath: secret/metadata/my app, method: LIST, secretKey: keys}
        """));

    assertFile(volume, "keys", "[\"a\",\"b/\"]", "rw-r--r--");
    assertThat(vault.requests()).anyMatch(r -> r.method().equals("GET")
        && r.path().equals("secret/metadata/my%20app?list=true"));
  }

  @Test
  void badObjectNames_areInvalidArgument_withoutAnyVaultCall() {
    long before = vault.count(VaultRequest.Kind.READ) + vault.logins();
    for (String objects : new String[] {
        "- {objectName: ..data, secretPath: secret/data/kv1, secretKey: bar1}",
        "- {objectName: a, secretPath: secret/data/kv1, secretKey: bar1}\n"
            + "- {objectName: a/b, secretPath: secret/data/kv2, secretKey: bar2}",
        "- {objectName: " + "n".repeat(256) + ", secretPath: secret/data/kv1, secretKey: bar1}",
        "- {objectName: a, objectName: b, secretPath: secret/data/kv1}"}) {
      CsiCallException e = catchThrowableOfType(CsiCallException.class,
          () -> mount(Map.of("roleName", "kv-role", "objects", objects)));
      assertThat(e.code()).as(objects).isEqualTo(CsiCallException.Code.INVALID_ARGUMENT);
    }
    assertThat(vault.count(VaultRequest.Kind.READ) + vault.logins()).isEqualTo(before);
  }

  private MountedVolume mount(Map<String, String> parameters) {
    return kubelet.mount(PodVolume.of(pod, "v" + volumes.incrementAndGet(), dir.resolve("kubelet"),
        attributes(parameters), Set.of("vault")));
  }

  private static Map<String, String> attributes(Map<String, String> parameters) {
    Map<String, String> attributes = new HashMap<>(parameters);
    attributes.put("backend", "vault");
    return attributes;
  }

  private static void assertFile(MountedVolume volume, String name, String bytes, String mode)
      throws Exception {
    assertThat(volume.readBytes(name)).as(name).isEqualTo(bytes.getBytes(UTF_8));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(volume.file(name))))
        .as(name + " mode").isEqualTo(mode);
  }
}
