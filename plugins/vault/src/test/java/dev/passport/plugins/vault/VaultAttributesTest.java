package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultBackendTest.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultAttributesTest {

  private static final String OBJECTS = """
      - objectName: password
        secretPath: secret/data/app
        secretKey: password
      """;

  @TempDir Path temp;

  @Test
  void minimalAttributes_takeDefaultsFromConfig() throws Exception {
    VaultAttributes parsed = parse(attributes(), config());

    assertThat(parsed.roleName()).isEqualTo("web");
    assertThat(parsed.address().url()).isEqualTo("https://vault.example:8200");
    assertThat(parsed.remote()).hasValue("https://vault.example:8200");
    assertThat(parsed.authMountPath()).isEqualTo("kubernetes");
    assertThat(parsed.audience()).isEqualTo("vault");
    assertThat(parsed.namespace()).isEmpty();
    assertThat(parsed.revokeOnUnpublish()).isFalse();
    assertThat(parsed.objects()).singleElement().satisfies(object -> {
      assertThat(object.apiPath()).isEqualTo("secret/data/app");
      assertThat(object.method()).isEqualTo("GET");
      assertThat(object.secretKey()).hasValue("password");
      assertThat(object.encoding()).isEqualTo(SecretObject.Encoding.UTF_8);
    });
  }

  @Test
  void everyAttribute_isBound() throws Exception {
    Path certs = Files.createDirectories(temp.resolve("certs"));
    Map<String, String> attributes = attributes();
    attributes.put("vaultAddress", "https://other:8200/");
    attributes.put("vaultAuthMountPath", "/jwt/");
    attributes.put("vaultNamespace", "/team-a/");
    attributes.put("audience", "vault.example.com");
    attributes.put("vaultCACertPath", certs + "/ca.pem");
    attributes.put("vaultCADirectory", certs.toString());
    attributes.put("vaultTLSServerName", "vault.internal");
    attributes.put("vaultTLSClientCertPath", certs + "/client.pem");
    attributes.put("vaultTLSClientKeyPath", certs + "/client.key");
    attributes.put("vaultSkipTLSVerify", "false");
    attributes.put("revokeOnUnpublish", "true");

    VaultAttributes parsed = parse(attributes, config(
        "allowedCertDirectories", certs.toString(), "allowedVaultAddresses", "https://other:8200"));

    assertThat(parsed.address().url()).isEqualTo("https://other:8200");
    assertThat(parsed.authMountPath()).isEqualTo("jwt");
    assertThat(parsed.namespace()).hasValue("team-a");
    assertThat(parsed.audience()).isEqualTo("vault.example.com");
    assertThat(parsed.tls()).isEqualTo(new TlsSettings(
        Optional.of(certs + "/ca.pem"), Optional.of(certs.toString()),
        Optional.of("vault.internal"), Optional.of(certs + "/client.pem"),
        Optional.of(certs + "/client.key"), false));
    assertThat(parsed.revokeOnUnpublish()).isTrue();
  }

  @Test
  void objectFields_areBound() throws Exception {
    VaultAttributes parsed = parse(objects("""
        - objectName: tls/cert.pem
          secretPath: /v1/pki/issue/web?format=pem
          method: put
          secretArgs: {common_name: web.example, alt_names: [a, b]}
          secretKey: certificate
          encoding: BASE64
          filePermission: 0640
        """), config());

    SecretObject object = parsed.objects().get(0);
    assertThat(object.objectName()).isEqualTo("tls/cert.pem");
    assertThat(object.apiPath()).isEqualTo("pki/issue/web?format=pem");
    assertThat(object.method()).isEqualTo("PUT");
    assertThat(object.secretArgs()).containsEntry("common_name", "web.example")
        .containsEntry("alt_names", List.of("a", "b"));
    assertThat(object.encoding()).isEqualTo(SecretObject.Encoding.BASE64);
    assertThat(object.mode()).contains(0640);
  }

  @Test
  void unknownAttribute_isInvalidNamingIt() {
    Map<String, String> attributes = attributes();
    attributes.put("vaultAddr", "https://typo");

    assertInvalid(attributes, config(), "vaultAddr");
  }

  @Test
  void misspeltRequiredAttribute_isReportedAsUnknownNotAsMissing() {
    Map<String, String> attributes = attributes();
    attributes.put("rolename", attributes.remove("roleName"));

    BackendException e = assertInvalid(attributes, config(), "\"rolename\"");
    assertThat(e.getMessage()).contains("unknown", "roleName");
  }

  @Test
  void missingRoleName_isInvalidNamingIt() {
    Map<String, String> attributes = attributes();
    attributes.remove("roleName");

    assertInvalid(attributes, config(), "roleName");
  }

  @Test
  void noAddressAnywhere_isInvalidNamingBoth() {
    assertInvalid(attributes(), Map.of(), "vaultAddress");
  }

  @Test
  void addressNotHttp_isInvalid() {
    Map<String, String> attributes = attributes();
    attributes.put("vaultAddress", "vault:8200");

    assertInvalid(attributes, config(), "vaultAddress");
  }

  @Test
  void addressOutsideTheAllowList_isPermissionDeniedTellingWhatTheOperatorAdds() {
    Map<String, String> attributes = attributes();
    attributes.put("vaultAddress", "http://169.254.169.254/latest");

    BackendException e = failure(() -> parse(attributes, config()));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("volume attribute \"vaultAddress\"",
        "http://169.254.169.254/latest", "allowedVaultAddresses in vault.properties",
        "https://vault.example:8200");
  }

  @Test
  void addressWithoutADefaultOrAllowList_isPermissionDenied() {
    Map<String, String> attributes = attributes();
    attributes.put("vaultAddress", "https://vault.example:8200");

    BackendException e = failure(() -> parse(attributes, Map.of()));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("allowed: none", "allowedVaultAddresses");
  }

  @Test
  void addressesOfTheSameVault_matchAnAllowedOne() throws Exception {
    Map<String, String> config = config("allowedVaultAddresses",
        "https://vault.example:8200/, https://Other.Example, http://plain, https://proxy:8443/vault/");
    for (String same : List.of("https://vault.example:8200", "https://vault.example:8200/",
        "https://VAULT.example:8200", "HTTPS://vault.example:8200//", "https://other.example",
        "https://other.example:443", "http://plain:80", "https://proxy:8443/vault")) {
      Map<String, String> attributes = attributes();
      attributes.put("vaultAddress", same);
      assertThat(parse(attributes, config).address().key()).as(same).isIn(
          "https://vault.example:8200", "https://other.example:443", "http://plain:80",
          "https://proxy:8443/vault");
    }
  }

  @Test
  void addressesOfAnotherServer_areRefused() {
    Map<String, String> config = config("allowedVaultAddresses", "https://proxy:8443/vault");
    for (String other : List.of("http://vault.example:8200", "https://vault.example:8201",
        "https://vault.example.:8200", "https://vault.example.evil:8200",
        "https://evil/https://vault.example:8200", "https://evil:8200/vault.example:8200",
        "https://vault.example:8200/sub", "https://proxy:8443/admin", "https://proxy:8443",
        "https://proxy:8443/vault/../admin", "https://127.0.0.1:8200")) {
      Map<String, String> attributes = attributes();
      attributes.put("vaultAddress", other);
      BackendException e = failure(() -> parse(attributes, config));
      assertThat(e.kind()).as(other).isEqualTo(Kind.PERMISSION_DENIED);
      assertThat(e.getMessage()).as(other).contains("allowedVaultAddresses");
    }
  }

  @Test
  void addressWithUserInfoQueryOrFragment_isInvalid() {
    for (String bad : List.of("https://vault.example:8200@evil", "https://user@vault.example:8200",
        "https://vault.example:8200?x=1", "https://vault.example:8200#x", "https://vault example")) {
      Map<String, String> attributes = attributes();
      attributes.put("vaultAddress", bad);
      assertInvalid(attributes, config(), "vaultAddress");
    }
  }

  @Test
  void bothMountPathNames_isInvalidNamingBoth() {
    Map<String, String> attributes = attributes();
    attributes.put("vaultAuthMountPath", "kubernetes");
    attributes.put("vaultKubernetesMountPath", "kubernetes");

    BackendException e = assertInvalid(attributes, config(), "vaultAuthMountPath");
    assertThat(e.getMessage()).contains("vaultKubernetesMountPath");
  }

  @Test
  void skipTlsVerify_refusedUnlessConfigAllowsIt() throws Exception {
    Map<String, String> attributes = attributes();
    attributes.put("vaultSkipTLSVerify", "true");

    BackendException e = assertInvalid(attributes, config(), "vaultSkipTLSVerify");
    assertThat(e.getMessage()).contains("allowSkipTLSVerify");
    assertThat(parse(attributes, config("allowSkipTLSVerify", "true")).tls().skipVerify()).isTrue();
  }

  @Test
  void certificatePathOutsideAllowedDirectories_isInvalid() throws Exception {
    Path allowed = Files.createDirectories(temp.resolve("allowed"));
    Map<String, String> config = config("allowedCertDirectories", allowed.toString());

    for (String key : List.of("vaultCACertPath", "vaultCADirectory",
        "vaultTLSClientCertPath", "vaultTLSClientKeyPath")) {
      Map<String, String> attributes = attributes();
      attributes.put(key, "/etc/kubernetes/pki/ca.key");
      assertInvalid(attributes, config, key);
    }
  }

  @Test
  void certificatePath_escapingWithDotDotOrPrefix_isInvalid() throws Exception {
    Path allowed = Files.createDirectories(temp.resolve("certs"));
    Files.createDirectories(temp.resolve("certs-evil"));
    Map<String, String> config = config("allowedCertDirectories", allowed.toString());

    Map<String, String> dotDot = attributes();
    dotDot.put("vaultCACertPath", allowed + "/../secret.pem");
    assertInvalid(dotDot, config, "vaultCACertPath");

    Map<String, String> prefix = attributes();
    prefix.put("vaultCACertPath", temp.resolve("certs-evil/ca.pem").toString());
    assertInvalid(prefix, config, "vaultCACertPath");

    Map<String, String> relative = attributes();
    relative.put("vaultCACertPath", "certs/ca.pem");
    assertInvalid(relative, config, "vaultCACertPath");
  }

  @Test
  void certificatePath_symlinkLeavingAllowedDirectory_isInvalid() throws Exception {
    Path allowed = Files.createDirectories(temp.resolve("certs"));
    Path outside = Files.writeString(temp.resolve("node-secret.pem"), "x");
    Files.createSymbolicLink(allowed.resolve("ca.pem"), outside);
    Map<String, String> attributes = attributes();
    attributes.put("vaultCACertPath", allowed.resolve("ca.pem").toString());

    assertInvalid(attributes, config("allowedCertDirectories", allowed.toString()), "vaultCACertPath");
  }

  @Test
  void clientCertificateWithoutKey_isInvalid() throws Exception {
    Path allowed = Files.createDirectories(temp.resolve("certs"));
    Map<String, String> attributes = attributes();
    attributes.put("vaultTLSClientCertPath", allowed + "/client.pem");

    assertInvalid(attributes, config("allowedCertDirectories", allowed.toString()), "vaultTLSClientKeyPath");
  }

  @Test
  void badYaml_isInvalidNamingObjects() {
    assertInvalid(objects("- objectName: [unclosed"), config(), "objects");
  }

  @Test
  void objectsNotAList_isInvalid() {
    assertInvalid(objects("objectName: password"), config(), "objects");
    assertInvalid(objects("[]"), config(), "objects");
  }

  @Test
  void missingObjects_isInvalid() {
    Map<String, String> attributes = attributes();
    attributes.remove("objects");

    assertInvalid(attributes, config(), "objects");
  }

  @Test
  void objectProblems_areInvalidNamingTheField() {
    assertInvalid(objects("- {secretPath: secret/data/a}"), config(), "objects[0].objectName");
    assertInvalid(objects("- {objectName: a}"), config(), "objects[0].secretPath");
    assertInvalid(objects("- {objectName: a, secretPath: s/a, secretkey: x}"), config(), "secretkey");
    assertInvalid(objects("- {objectName: a, secretPath: s/a, method: DELETE}"), config(), "objects[0].method");
    assertInvalid(objects("- {objectName: a, secretPath: s/a, encoding: rot13}"), config(), "objects[0].encoding");
    assertInvalid(objects("- {objectName: a, secretPath: s/a, filePermission: 600}"), config(), "objects[0].filePermission");
    assertInvalid(objects("- {objectName: a, secretPath: s/a, filePermission: rw}"), config(), "objects[0].filePermission");
    assertInvalid(objects("- {objectName: a, secretPath: s/a, secretArgs: [x]}"), config(), "objects[0].secretArgs");
    assertInvalid(objects("- {objectName: a, secretPath: s/a, secretArgs: {x: 1}}"), config(), "objects[0].secretArgs");
    assertInvalid(objects("- {objectName: a, secretPath: s/a}\n- {objectName: a, secretPath: s/b}"),
        config(), "objects[1].objectName");
  }

  @Test
  void unsafeObjectNames_areInvalid() {
    for (String name : List.of("/etc/passwd", "../up", "a/../../b", "a//b", "./a")) {
      assertInvalid(objects("- {objectName: '" + name + "', secretPath: s/a}"), config(), "objects[0].objectName");
    }
  }

  @Test
  void unsafeSecretPaths_areInvalid() {
    for (String path : List.of("secret/../sys/raw", "/v1/", "secret//a", "secret/a\tb")) {
      assertInvalid(objects("- {objectName: a, secretPath: '" + path + "'}"), config(), "objects[0].secretPath");
    }
  }

  @Test
  void config_unknownKey_isInvalidNamingIt() {
    BackendException e = failure(() -> VaultPluginConfig.parse(Map.of("vaultAdress", "https://x")));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("vaultAdress");
  }

  @Test
  void config_badValues_areInvalidNamingTheKey() {
    for (Map.Entry<String, String> bad : List.of(
        Map.entry("connectTimeout", "soon"),
        Map.entry("connectTimeout", "0s"),
        Map.entry("requestTimeout", "-5s"),
        Map.entry("allowSkipTLSVerify", "yes"),
        Map.entry("allowedCertDirectories", "relative/dir"),
        Map.entry("vaultAddress", "ftp://vault"),
        Map.entry("vaultAddress", "https://user@vault"),
        Map.entry("allowedVaultAddresses", "https://vault, vault:8200"),
        Map.entry("revokeOnUnpublish", "1"))) {
      BackendException e = failure(() -> VaultPluginConfig.parse(Map.of(bad.getKey(), bad.getValue())));
      assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
      assertThat(e.getMessage()).contains(bad.getKey());
    }
  }

  @Test
  void config_connectTimeout_acceptsGoAndIsoDurations() throws Exception {
    for (Map.Entry<String, Duration> accepted : List.of(
        Map.entry("1h30m", Duration.ofMinutes(90)),
        Map.entry("90s", Duration.ofSeconds(90)),
        Map.entry("PT1H30M", Duration.ofMinutes(90)))) {
      assertThat(VaultPluginConfig.parse(Map.of("connectTimeout", accepted.getKey())).connectTimeout())
          .as(accepted.getKey()).isEqualTo(accepted.getValue());
    }
  }

  @Test
  void config_everyKey_isBound() throws Exception {
    VaultPluginConfig config = VaultPluginConfig.parse(Map.ofEntries(
        Map.entry("vaultAddress", "https://vault:8200"),
        Map.entry("allowedVaultAddresses", "https://vault-b:8200, https://vault-c"),
        Map.entry("vaultAuthMountPath", "auth-k8s"),
        Map.entry("vaultCACertPath", "/etc/vault/ca.pem"),
        Map.entry("vaultCADirectory", "/etc/vault/cas"),
        Map.entry("vaultTLSServerName", "vault.internal"),
        Map.entry("vaultTLSClientCertPath", "/etc/vault/client.pem"),
        Map.entry("vaultTLSClientKeyPath", "/etc/vault/client.key"),
        Map.entry("allowSkipTLSVerify", "true"),
        Map.entry("allowedCertDirectories", "/etc/vault, /var/run/certs"),
        Map.entry("connectTimeout", "500ms"),
        Map.entry("requestTimeout", "PT20S"),
        Map.entry("revokeOnUnpublish", "true")));

    assertThat(config.defaultAddress().map(VaultAddress::url)).hasValue("https://vault:8200");
    assertThat(config.allowedAddresses()).extracting(VaultAddress::key)
        .containsExactly("https://vault:8200", "https://vault-b:8200", "https://vault-c:443");
    assertThat(config.defaultAuthMountPath()).isEqualTo("auth-k8s");
    assertThat(config.tls().caCertPath()).hasValue("/etc/vault/ca.pem");
    assertThat(config.tls().serverName()).hasValue("vault.internal");
    assertThat(config.allowSkipTlsVerify()).isTrue();
    assertThat(config.allowedCertDirectories()).containsExactly(Path.of("/etc/vault"), Path.of("/var/run/certs"));
    assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.requestTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(config.revokeOnUnpublish()).isTrue();
  }

  private static VaultAttributes parse(Map<String, String> attributes, Map<String, String> config)
      throws BackendException {
    return VaultAttributes.parse(attributes, VaultPluginConfig.parse(config));
  }

  private static BackendException assertInvalid(
      Map<String, String> attributes, Map<String, String> config, String named) {
    BackendException e = failure(() -> parse(attributes, config));
    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains(named);
    return e;
  }

  private static Map<String, String> attributes() {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("roleName", "web");
    attributes.put("objects", OBJECTS);
    return attributes;
  }

  private static Map<String, String> objects(String yaml) {
    Map<String, String> attributes = attributes();
    attributes.put("objects", yaml);
    return attributes;
  }

  private static Map<String, String> config(String... keyValues) {
    Map<String, String> config = new HashMap<>();
    config.put("vaultAddress", "https://vault.example:8200");
    for (int i = 0; i < keyValues.length; i += 2) {
      config.put(keyValues[i], keyValues[i + 1]);
    }
    return config;
  }
}
