package dev.passport.plugins.vault;

import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRole;
import java.util.Map;

/**
 * vault-csi-provider v1.7.4's own SecretProviderClasses ({@code test/bats/configs/*.yaml}), their
 * {@code spec.parameters} transcribed as facts, and what its {@code provider.bats} set-up gives
 * them to read: the roles (service account {@code kv} of namespace {@code test}) and exactly what
 * a real Vault answers ({@link VaultDevServer#answerVerbatim}).
 *
 * <p>Left out of the transcription: the TLS parameters ({@code vaultCACertPath},
 * {@code vaultTLSClient*}: files in the bats cluster; TLS is tested in {@link VaultTlsTest}) and
 * {@code vaultAddress} (the dev server's).
 */
final class VaultCsiProviderClasses {

  static final String REQUEST_ID = "8c5c7f2b-3a8e-4f0e-a2d7-5d3f6c1e9b40";

  /** The service account of the bats test's pods. */
  static final String NAMESPACE = "test";
  static final String SERVICE_ACCOUNT = "kv";

  /** vault-kv-secretproviderclass.yaml: the "Hello World" class. */
  static final Map<String, String> VAULT_KV = Map.of("roleName", "kv-role", "audience", "vault",
      "objects", """
      - objectName: "secret-1"
        secretPath: "secret/data/kv1"
        secretKey: "bar1"
        filePermission: 0624
      - objectName: "secret-2"
        secretPath: "secret/data/kv2"
        secretKey: "bar2"
      """);

  /** vault-kv-sync-secretproviderclass.yaml's parameters (its secretObjects are not a volume's). */
  static final Map<String, String> VAULT_KV_SYNC = Map.of("roleName", "kv-role", "audience", "vault",
      "objects", """
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
      """);

  /** vault-kv-sync-multiple-secretproviderclass.yaml's parameters. */
  static final Map<String, String> VAULT_KV_SYNC_MULTIPLE = Map.of("roleName", "kv-role",
      "audience", "vault", "objects", """
      - objectName: "secret-1"
        secretPath: "/secret/data/kv-sync1"
        secretKey: "bar1"
      """);

  /** vault-pki-secretproviderclass.yaml: no secretKey, so the whole answer is the file. */
  static final Map<String, String> VAULT_PKI = Map.of("roleName", "pki-role", "audience", "vault",
      "objects", """
      - objectName: "certs"
        secretPath: "pki/issue/example-dot-com"
        secretArgs:
          common_name: "test.example.com"
          ttl: "24h"
        method: "PUT"
      """);

  /** vault-db-secretproviderclass.yaml: the same dynamic credentials named twice. */
  static final Map<String, String> VAULT_DB = Map.of("roleName", "db-role", "audience", "vault",
      "objects", """
      - objectName: "dbUsername"
        secretPath: "database/creds/test-role"
        secretKey: "username"
      - objectName: "dbPassword"
        secretPath: "database/creds/test-role"
        secretKey: "password"
      """);

  /**
   * vault-all-secretproviderclass.yaml: every engine in one volume; its objects are vault-db's,
   * then vault-pki's, then one KV secret, as the file lists them.
   */
  static final Map<String, String> VAULT_ALL = Map.of("roleName", "all-role", "audience", "vault",
      "objects", VAULT_DB.get("objects") + VAULT_PKI.get("objects") + """
      - objectName: "secret-1"
        secretPath: "secret/data/kv1"
        secretKey: "bar1"
      """);

  /** vault-kv-secretproviderclass-jwt-auth.yaml. */
  static final Map<String, String> VAULT_KV_JWT = Map.of("roleName", "jwt-kv-role",
      "vaultAuthMountPath", "jwt", "audience", "vault", "objects", """
      - objectName: "secret-1"
        secretPath: "secret/data/kv1"
        secretKey: "bar1"
        filePermission: 0644
      """);

  /** vault-kv-namespace-secretproviderclass.yaml. */
  static final Map<String, String> VAULT_KV_NAMESPACE = Map.of("roleName", "kv-namespace-role",
      "audience", "vault", "vaultNamespace", "acceptance", "objects", """
      - objectName: "secret-1"
        secretPath: "secret/data/kv1-namespace"
        secretKey: "greeting"
      """);

  /** vault-kv-custom-audience-secretproviderclass.yaml. */
  static final Map<String, String> VAULT_KV_CUSTOM_AUDIENCE = Map.of("audience", "custom-audience",
      "roleName", "kv-custom-audience-role", "objects", """
      - objectName: "secret"
        secretPath: "secret/data/kv-custom-audience"
        secretKey: "bar"
      """);

  static final String DB_CREDS = "{\"request_id\":\"" + REQUEST_ID + "\","
      + "\"lease_id\":\"database/creds/test-role/Hq3TbH0sYh0n8TkzRf1G2Ewz\",\"renewable\":true,"
      + "\"lease_duration\":3600,\"data\":{\"password\":\"Bq-8sP3xLk2-Zr0w\","
      + "\"username\":\"v-kubernet-test-rol-Xy7sK2fQ-1764158400\"},\"wrap_info\":null,"
      + "\"warnings\":null,\"auth\":null,\"mount_type\":\"database\"}";

  /** pki/issue as Vault answers it: a role's default generate_lease=false gives no lease. */
  static final String PKI_ISSUE = "{\"request_id\":\"" + REQUEST_ID + "\",\"lease_id\":\"\","
      + "\"renewable\":false,\"lease_duration\":0,\"data\":{\"certificate\":\"-----BEGIN CERTIFICATE-----"
      + "\\nMIIB+zCCAaGgAwIBAgIU/test+cert\\n-----END CERTIFICATE-----\",\"expiration\":1795780800,"
      + "\"issuing_ca\":\"-----BEGIN CERTIFICATE-----\\nMIIBca\\n-----END CERTIFICATE-----\","
      + "\"ca_chain\":[\"-----BEGIN CERTIFICATE-----\\nMIIBca\\n-----END CERTIFICATE-----\"],"
      + "\"private_key\":\"-----BEGIN RSA PRIVATE KEY-----\\nMIIEkey\\n-----END RSA PRIVATE KEY-----\","
      + "\"private_key_type\":\"rsa\",\"serial_number\":\"39:dd:2e:90\"},\"wrap_info\":null,"
      + "\"warnings\":null,\"auth\":null,\"mount_type\":\"pki\"}";

  /** {@code json.Marshal} of PKI_ISSUE: struct order, data keys sorted, nil auth/wrap_info left out. */
  static final String PKI_ISSUE_FILE = "{\"request_id\":\"" + REQUEST_ID + "\","
      + "\"lease_id\":\"\",\"lease_duration\":0,\"renewable\":false,\"data\":{\"ca_chain\":"
      + "[\"-----BEGIN CERTIFICATE-----\\nMIIBca\\n-----END CERTIFICATE-----\"],\"certificate\":"
      + "\"-----BEGIN CERTIFICATE-----\\nMIIB+zCCAaGgAwIBAgIU/test+cert\\n-----END CERTIFICATE-----\","
      + "\"expiration\":1795780800,\"issuing_ca\":\"-----BEGIN CERTIFICATE-----\\nMIIBca\\n"
      + "-----END CERTIFICATE-----\",\"private_key\":\"-----BEGIN RSA PRIVATE KEY-----\\nMIIEkey\\n"
      + "-----END RSA PRIVATE KEY-----\",\"private_key_type\":\"rsa\",\"serial_number\":\"39:dd:2e:90\"},"
      + "\"warnings\":null,\"mount_type\":\"pki\"}";

  private VaultCsiProviderClasses() {}

  /** A KV v2 read as Vault 1.15+ answers {@code vault kv put secret/<path> <key>=<value>}. */
  static String kv2(String key, String value) {
    return "{\"request_id\":\"" + REQUEST_ID + "\",\"lease_id\":\"\",\"renewable\":false,"
        + "\"lease_duration\":0,\"data\":{\"data\":{\"" + key + "\":\"" + value + "\"},"
        + "\"metadata\":{\"created_time\":\"2026-11-26T11:00:00.5Z\",\"custom_metadata\":null,"
        + "\"deletion_time\":\"\",\"destroyed\":false,\"version\":1}},\"wrap_info\":null,"
        + "\"warnings\":null,\"auth\":null,\"mount_type\":\"kv\"}";
  }

  /** provider.bats' set-up on {@code vault}: every class's role, and its secrets as Vault answers them. */
  static void setUp(VaultDevServer vault) {
    for (String role : new String[] {"kv-role", "db-role", "pki-role", "all-role", "example-role"}) {
      vault.addRole("kubernetes", VaultRole.of(role, NAMESPACE, SERVICE_ACCOUNT));
    }
    vault.addRole("jwt", VaultRole.of("jwt-kv-role", NAMESPACE, SERVICE_ACCOUNT));
    vault.addRole("kubernetes", VaultRole.of("kv-custom-audience-role", NAMESPACE, SERVICE_ACCOUNT)
        .withAudience("custom-audience"));
    vault.addRole("acceptance", "kubernetes",
        VaultRole.of("kv-namespace-role", NAMESPACE, SERVICE_ACCOUNT));
    // vault kv put secret/kv1 bar1=hello1 and so on
    vault.answerVerbatim("secret/data/kv1", kv2("bar1", "hello1"));
    vault.answerVerbatim("secret/data/kv2", kv2("bar2", "hello2"));
    vault.answerVerbatim("secret/data/kv-sync1", kv2("bar1", "hello-sync1"));
    vault.answerVerbatim("secret/data/kv-sync2", kv2("bar2", "hello-sync2"));
    vault.answerVerbatim("secret/data/kv-sync3", kv2("bar3", "aGVsbG8tc3luYzM="));
    vault.answerVerbatim("secret/data/kv1-namespace", kv2("greeting", "hello-namespaces"));
    vault.answerVerbatim("secret/data/kv-custom-audience", kv2("bar", "hello-custom-audience"));
    vault.answerVerbatim("database/creds/test-role", DB_CREDS);
    vault.answerVerbatim("pki/issue/example-dot-com", PKI_ISSUE);
  }
}
