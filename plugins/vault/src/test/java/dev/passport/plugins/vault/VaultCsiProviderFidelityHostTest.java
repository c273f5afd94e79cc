package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultCsiProviderClasses.NAMESPACE;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.PKI_ISSUE_FILE;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.SERVICE_ACCOUNT;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_ALL;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_DB;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_KV;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_KV_CUSTOM_AUDIENCE;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_KV_JWT;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_KV_NAMESPACE;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_KV_SYNC;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_KV_SYNC_MULTIPLE;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.VAULT_PKI;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.Pod;
import dev.passport.conformance.CsiCallException;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.testkit.Pods;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
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
 * <p>The classes and answers are in {@link VaultCsiProviderClasses}. One host for the class keeps
 * it to seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaultCsiProviderFidelityHostTest {

  @TempDir static Path dir;

  private final Pod pod = Pods.pod(NAMESPACE, "nginx", SERVICE_ACCOUNT);
  private final AtomicInteger volumes = new AtomicInteger();
  private VaultHost rig;
  private VaultDevServer vault;
  private FakeKubelet kubelet;

  @BeforeAll
  void start() throws Exception {
    rig = VaultHost.start();
    vault = rig.vault;
    VaultCsiProviderClasses.setUp(vault);
    kubelet = rig.startHost(dir, Map.of(), host -> host
        .refreshInterval(Duration.ofHours(1))
        .fetchTimeout(Duration.ofSeconds(20))).kubelet();
  }

  @AfterAll
  void stop() {
    rig.close();
  }

  @Test
  void vaultKvSecretProviderClass_filesAndModesAsTheBatsTestExpects() throws Exception {
    MountedVolume volume = mount(VAULT_KV);

    assertFile(volume, "secret-1", "hello1", "rw--w-r--");   // 0624, "Check file permission is non-default"
    assertFile(volume, "secret-2", "hello2", "rw-r--r--");   // 644, "Check file permission is default"
  }

  @Test
  void vaultKvSyncSecretProviderClass_v1PrefixesAndBase64() throws Exception {
    MountedVolume volume = mount(VAULT_KV_SYNC);

    assertFile(volume, "secret-1", "hello-sync1", "rw-r--r--");
    assertFile(volume, "secret-2", "hello-sync2", "rw-r--r--");
    assertFile(volume, "secret-3", "hello-sync3", "rw-r--r--");
  }

  @Test
  void vaultKvSyncMultipleSecretProviderClass_leadingSlashPath() throws Exception {
    MountedVolume volume = mount(VAULT_KV_SYNC_MULTIPLE);

    assertFile(volume, "secret-1", "hello-sync1", "rw-r--r--");
  }

  @Test
  void vaultPkiSecretProviderClass_wholeAnswerIsJsonMarshalOfApiSecret() throws Exception {
    MountedVolume volume = mount(VAULT_PKI);

    assertFile(volume, "certs", PKI_ISSUE_FILE, "rw-r--r--");
    // SetJSONBody(secretArgs): json.Marshal of the map, keys sorted
    assertThat(vault.lastRequestBody("pki/issue/example-dot-com"))
        .contains("{\"common_name\":\"test.example.com\",\"ttl\":\"24h\"}");
  }

  @Test
  void vaultDbSecretProviderClass_sameCredentialsReadOnce() throws Exception {
    long before = vault.reads("database/creds/test-role");
    MountedVolume volume = mount(VAULT_DB);

    assertFile(volume, "dbUsername", "v-kubernet-test-rol-Xy7sK2fQ-1764158400", "rw-r--r--");
    assertFile(volume, "dbPassword", "Bq-8sP3xLk2-Zr0w", "rw-r--r--");
    assertThat(vault.reads("database/creds/test-role") - before).isEqualTo(1);
  }

  @Test
  void vaultAllSecretProviderClass_everyEngineInOneVolume() throws Exception {
    MountedVolume volume = mount(VAULT_ALL);

    assertFile(volume, "dbUsername", "v-kubernet-test-rol-Xy7sK2fQ-1764158400", "rw-r--r--");
    assertFile(volume, "dbPassword", "Bq-8sP3xLk2-Zr0w", "rw-r--r--");
    assertFile(volume, "certs", PKI_ISSUE_FILE, "rw-r--r--");
    assertFile(volume, "secret-1", "hello1", "rw-r--r--");
  }

  @Test
  void vaultKvSecretProviderClassJwtAuth_jwtMount() throws Exception {
    MountedVolume volume = mount(VAULT_KV_JWT);

    assertFile(volume, "secret-1", "hello1", "rw-r--r--");
  }

  @Test
  void vaultKvNamespaceSecretProviderClass_namespaceHeader() throws Exception {
    MountedVolume volume = mount(VAULT_KV_NAMESPACE);

    assertFile(volume, "secret-1", "hello-namespaces", "rw-r--r--");
    assertThat(vault.requests()).anyMatch(r -> r.path().equals("secret/data/kv1-namespace")
        && r.namespace().equals("acceptance"));
  }

  @Test
  void vaultKvCustomAudienceSecretProviderClass_tokenForThatAudience() throws Exception {
    MountedVolume volume = kubelet.mount(rig.volume(pod, "v" + volumes.incrementAndGet(),
        attributes(VAULT_KV_CUSTOM_AUDIENCE), Set.of("custom-audience")));

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
    return kubelet.mount(rig.volume(pod, "v" + volumes.incrementAndGet(), attributes(parameters),
        Set.of("vault")));
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
