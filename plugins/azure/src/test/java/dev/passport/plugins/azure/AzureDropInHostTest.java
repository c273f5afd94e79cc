package dev.passport.plugins.azure;

import static dev.passport.plugins.azure.AzureTestbed.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.k8s.SecretProviderClass;
import dev.passport.host.k8s.SecretProviderClasses;
import dev.passport.tools.azure.FakeKeyVault;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drop-in mode with the azure backend: provider-azure's documented SecretProviderClasses, handed
 * to the host as its SecretProviderClasses (from memory: fabric8's mock API server needs a newer
 * Jackson than the one azure-core is pinned to in this module; AwsDropInHostTest covers the
 * informer), for volumes of driver {@code secrets-store.csi.k8s.io} that name only
 * {@code secretProviderClass}. Transcribed from
 * provider-azure's docs (website/content/en/...) and examples/ with their placeholders filled in:
 * {@code tid} is the test tenant, {@code clientID} the client id federated with the pod's service
 * account. The examples of examples/keyvault-* name no identity (they are used with each mode's
 * parameters): here they get the workload identity's {@code clientID}, which is what
 * workload-identity-mode.md says to add. The files are the ones provider-azure documents, with the
 * bytes it writes, and the same parameters given inline give the same files. The deprecated
 * pod-identity and node-identity classes are refused, saying Passport authenticates as the pod.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AzureDropInHostTest {

  static final String KV = "kvname";
  static final String HOST_DEFAULT = "rw-r--r--";

  /** workload-identity-mode.md's azure-kvname-wi. */
  static final Map<String, String> WORKLOAD_IDENTITY = Map.of(
      "usePodIdentity", "false",
      "clientID", AzureTestbed.CLIENT_ID,
      "keyvaultName", KV,
      "cloudName", "",
      "objects", """
          array:
            - |
              objectName: secret1
              objectType: secret        # object types: secret, key or cert
              objectVersion: ""         # [OPTIONAL] object versions, default to latest if empty
            - |
              objectName: key1
              objectType: key
              objectVersion: ""
          """,
      "tenantID", AzureTestbed.TENANT);

  /** getting-started/usage's azure-kvname, in workload identity (clientID set, no VM identity). */
  static final Map<String, String> USAGE = Map.of(
      "usePodIdentity", "false",
      "useVMManagedIdentity", "false",
      "userAssignedIdentityID", "client_id",
      "clientID", AzureTestbed.CLIENT_ID,
      "keyvaultName", KV,
      "cloudName", "",
      "cloudEnvFileName", "",
      "objects", """
          array:
            - |
              objectName: secret1
              objectAlias: SECRET_1           # [OPTIONAL available for version > 0.0.4] object alias
              objectType: secret              # object types: secret, key or cert.
              objectVersion: ""               # [OPTIONAL] object versions, default to latest if empty
              objectVersionHistory: 5         # [OPTIONAL] if greater than 1, the number of versions to sync starting at the specified version.
              filePermission: 0755                # [OPTIONAL] permission for secret file being mounted into the pod, default is 0644 if not specified.
            - |
              objectName: key1
              objectAlias: ""                 # If provided then it has to be referenced in [secretObjects].[objectName] to sync with Kubernetes secrets
              objectType: key
              objectVersion: ""
          """,
      "tenantID", AzureTestbed.TENANT);

  /** examples/keyvault-certs/v1alpha1_secretproviderclass_certs.yaml, with clientID. */
  static final Map<String, String> CERTS = Map.of(
      "usePodIdentity", "false",
      "useVMManagedIdentity", "false",
      "userAssignedIdentityID", "",
      "clientID", AzureTestbed.CLIENT_ID,
      "keyvaultName", KV,
      "objects", """
          array:
            - |
              objectName: cert1
              objectType: cert                      # Setting objectType: cert will fetch and write only the certificate from keyvault
              objectVersion: ""                     # [OPTIONAL] object versions, default to latest if empty
            - |
              objectName: cert1
              objectAlias: cert1-pub-key
              objectType: key                       # Setting objectType: key will fetch and write only the public key from keyvault
              objectVersion: ""                     # [OPTIONAL] object versions, default to latest if empty
            - |
              objectName: cert1
              objectAlias: cert1-secret
              objectType: secret                    # Setting objectType: secret will fetch and write the certificate and private key from keyvault. The private key and certificate are written to a single file.
              objectVersion: ""                     # [OPTIONAL] object versions, default to latest if empty
            - |
              objectName: cert2-pfx
              objectAlias: cert2-secret-pfx
              objectType: secret
              objectVersion: ""                     # [OPTIONAL] object versions, default to latest if empty
              objectFormat: pfx                     # [OPTIONAL] the format of the Azure Key Vault object, supported types are pem and pfx.
            - |
              objectName: cert2-pfx
              objectAlias: cert2-secret-pfx-binary
              objectType: secret
              objectVersion: ""                     # [OPTIONAL] object versions, default to latest if empty
              objectFormat: pfx
              objectEncoding: base64                # Setting object encoding to base64 and object format to pfx will fetch and write the base64 decoded pfx binary
          """,
      "tenantId", AzureTestbed.TENANT);

  /** examples/keyvault-keys/v1alpha1_secretproviderclass_keys.yaml, with clientID. */
  static final Map<String, String> KEYS = Map.of(
      "usePodIdentity", "false",
      "clientID", AzureTestbed.CLIENT_ID,
      "keyvaultName", KV,
      "cloudName", "",
      "objects", """
          array:
            - |
              objectName: key1
              objectType: key                       # object types: secret, key or cert
              objectVersion: ""                     # [OPTIONAL] object versions, default to latest if empty
            - |
              objectName: key2
              objectType: key
              objectVersion: ""
              objectAlias: "KEY_ALIAS"              # [OPTIONAL] specify the filename of the object when written to disk. Defaults to objectName if not provided.
          """,
      "tenantId", AzureTestbed.TENANT);

  /** The node- and pod-identity classes: their identity parameters and one secret. */
  static final String ONE_SECRET = """
      array:
        - |
          objectName: secret1
          objectType: secret        # object types: secret, key or cert
          objectVersion: ""         # [OPTIONAL] object versions, default to latest if empty
      """;
  static final Map<String, Map<String, String>> REFUSED = Map.of(
      // examples/pod-identity/v1alpha1_secretproviderclass_pod_identity.yaml
      "azure-kvname-podid", Map.of("usePodIdentity", "true", "keyvaultName", KV,
          "cloudName", "", "objects", ONE_SECRET, "tenantId", AzureTestbed.TENANT),
      // examples/user-assigned-managed-identity/..._user_assigned_identity.yaml
      "azure-kvname-user-msi", Map.of("usePodIdentity", "false", "useVMManagedIdentity", "true",
          "userAssignedIdentityID", AzureTestbed.CLIENT_ID, "keyvaultName", KV, "cloudName", "",
          "objects", ONE_SECRET, "tenantId", AzureTestbed.TENANT),
      // examples/system-assigned-managed-identity/..._system_assigned_identity.yaml
      "azure-kvname-system-msi", Map.of("usePodIdentity", "false",
          "useVMManagedIdentity", "true", "userAssignedIdentityID", "", "keyvaultName", KV,
          "cloudName", "", "objects", ONE_SECRET, "tenantId", AzureTestbed.TENANT),
      // configurations/sync-multiple-versions.md's azure-sync (pod identity)
      "azure-sync", Map.of("usePodIdentity", "true", "keyvaultName", KV, "objects", """
          array:
            - |
              objectName: secret1
              objectType: secret                     # object types: secret, key or cert
              objectAlias: secretalias
              objectVersionHistory: 5                # The number of versions to sync (including the specified version)
          """, "tenantID", AzureTestbed.TENANT));

  @TempDir static Path dir;
  AzureTestbed bed;
  final Map<String, SecretProviderClass> classes = new java.util.HashMap<>();
  PassportHost host;
  FakeKubelet kubelet;
  final Map<String, String> expected = new LinkedHashMap<>();
  String key1Pem;
  String key2Pem;

  @BeforeAll
  void start() throws Exception {
    bed = new AzureTestbed(dir);
    putObjects();
    put("azure-kvname-wi", WORKLOAD_IDENTITY);
    put("azure-kvname", USAGE);
    put("azure-certs", CERTS);
    put("azure-keys", KEYS);
    REFUSED.forEach(this::put);
    host = bed.host(dir)
        .secretProviderClasses(new SecretProviderClasses() {
          @Override
          public Optional<SecretProviderClass> find(String namespace, String name) {
            return Optional.ofNullable(classes.get(namespace + "/" + name));
          }

          @Override
          public String describe() {
            return "provider-azure's documented classes";
          }

          @Override
          public void close() {}
        }, Map.of())
        .start();
    kubelet = FakeKubelet.connect(host.socket(), bed.tokens, bed.clock);
  }

  private void put(String name, Map<String, String> parameters) {
    classes.put(bed.pod.namespace() + "/" + name, new SecretProviderClass(bed.pod.namespace(),
        name, "azure", parameters, List.of()));
  }

  /** secret1 with three versions, two keys, and the two certificates of the certs example. */
  private void putObjects() throws Exception {
    bed.vault.putSecret(KV, "secret1", "secret1-v1");
    bed.vault.putSecret(KV, "secret1", "secret1-v2");
    bed.vault.putSecret(KV, "secret1", "secret1-value");
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    RSAPublicKey key1 = (RSAPublicKey) rsa.generateKeyPair().getPublic();
    bed.vault.putKey(KV, "key1", new ObjectMapper().createObjectNode().put("kty", "RSA")
        .put("n", FakeKeyVault.b64url(unsigned(key1.getModulus())))
        .put("e", FakeKeyVault.b64url(unsigned(key1.getPublicExponent()))));
    key1Pem = AzureTestbed.pemBlock("PUBLIC KEY", key1.getEncoded());
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
    ECPublicKey key2 = (ECPublicKey) ec.generateKeyPair().getPublic();
    bed.vault.putKey(KV, "key2", ecJwk(key2, "P-384", 48));
    key2Pem = AzureTestbed.pemBlock("PUBLIC KEY", key2.getEncoded());

    // cert1: a P-256 certificate with its key, as Key Vault keeps one (secret = PFX, key = JWK)
    byte[] cert1Pfx = AzureTestbed.fixture("p256.pfx");
    String cert1Base64 = Base64.getEncoder().encodeToString(cert1Pfx);
    X509Certificate cert1 = certificateOf(cert1Pfx);
    bed.vault.putCertificateSecret(KV, "cert1", cert1Base64, "application/x-pkcs12");
    bed.vault.putKey(KV, "cert1", ecJwk((ECPublicKey) cert1.getPublicKey(), "P-256", 32));
    byte[] cert2Pfx = AzureTestbed.fixture("p384.pfx");
    String cert2Base64 = Base64.getEncoder().encodeToString(cert2Pfx);
    bed.vault.putCertificateSecret(KV, "cert2-pfx", cert2Base64, "application/x-pkcs12");

    String cert1Pem = AzureTestbed.pemBlock("CERTIFICATE", cert1.getEncoded());
    expected.put("cert1", file(HOST_DEFAULT, cert1Pem));
    expected.put("cert1-pub-key", file(HOST_DEFAULT, AzureTestbed.pemBlock("PUBLIC KEY",
        cert1.getPublicKey().getEncoded())));
    // provider-azure: the key as Go's PKCS#8 (OpenSSL's, the fixture), then the certificate
    expected.put("cert1-secret", file(HOST_DEFAULT, AzureTestbed.pemBlock("PRIVATE KEY",
        AzureTestbed.fixture("p256.p8.der")) + cert1Pem));
    // objectFormat: pfx writes the secret's value as Key Vault holds it: base64 text
    expected.put("cert2-secret-pfx", file(HOST_DEFAULT, cert2Base64));
    expected.put("cert2-secret-pfx-binary", file(HOST_DEFAULT, cert2Pfx));
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable closeable : new AutoCloseable[] {kubelet, host, bed}) {
      if (closeable != null) {
        closeable.close();
      }
    }
  }

  @Test
  void workloadIdentityClass_isSecret1AndKey1() {
    Map<String, String> files = AzureTestbed.files(mountClass("wi", "azure-kvname-wi"));

    assertThat(files).isEqualTo(AzureTestbed.files(mountInline("wi-inline", WORKLOAD_IDENTITY)))
        .containsOnly(
            Map.entry("secret1", file(HOST_DEFAULT, "secret1-value")),
            Map.entry("key1", file(HOST_DEFAULT, key1Pem)));
  }

  /** objectVersionHistory: 5 of three versions: SECRET_1/0 newest, mode 0755 unquoted as written. */
  @Test
  void usageClass_versionHistoryDirectoryAndFilePermission() {
    Map<String, String> files = AzureTestbed.files(mountClass("usage", "azure-kvname"));

    assertThat(files).isEqualTo(AzureTestbed.files(mountInline("usage-inline", USAGE)))
        .containsOnly(
            Map.entry("SECRET_1/0", file("rwxr-xr-x", "secret1-value")),
            Map.entry("SECRET_1/1", file("rwxr-xr-x", "secret1-v2")),
            Map.entry("SECRET_1/2", file("rwxr-xr-x", "secret1-v1")),
            Map.entry("key1", file(HOST_DEFAULT, key1Pem)));
  }

  @Test
  void certsExample_certKeySecretAndPfx_areProviderAzuresBytes() {
    Map<String, String> files = AzureTestbed.files(mountClass("certs", "azure-certs"));

    assertThat(files).isEqualTo(AzureTestbed.files(mountInline("certs-inline", CERTS)))
        .isEqualTo(expected);
  }

  @Test
  void keysExample_publicKeysUnderNameAndAlias() {
    Map<String, String> files = AzureTestbed.files(mountClass("keys", "azure-keys"));

    assertThat(files).isEqualTo(AzureTestbed.files(mountInline("keys-inline", KEYS)))
        .containsOnly(
            Map.entry("key1", file(HOST_DEFAULT, key1Pem)),
            Map.entry("KEY_ALIAS", file(HOST_DEFAULT, key2Pem)));
  }

  @Test
  void podAndNodeIdentityClasses_areRefusedSayingPassportAuthenticatesAsThePod() {
    int tokenRequests = bed.entra.tokenRequests();
    int vaultRequests = bed.vault.requests();
    for (String name : REFUSED.keySet()) {
      Throwable e = catchThrowable(() -> mountClass("refused-" + name, name));

      assertThat(e).as(name).hasMessageStartingWith("INVALID_ARGUMENT: ")
          .hasMessageContaining("authenticates as the pod")
          .hasMessageContaining(name.equals("azure-kvname-podid") || name.equals("azure-sync")
              ? "usePodIdentity" : "useVMManagedIdentity");
    }
    assertThat(bed.entra.tokenRequests()).as("refused before any exchange")
        .isEqualTo(tokenRequests);
    assertThat(bed.vault.requests()).isEqualTo(vaultRequests);
  }

  private MountedVolume mountClass(String volumeName, String className) {
    return kubelet.mount(bed.volume(dir, volumeName, Map.of("secretProviderClass", className)));
  }

  private MountedVolume mountInline(String volumeName, Map<String, String> parameters) {
    return kubelet.mount(bed.volume(dir, volumeName, parameters));
  }

  private static X509Certificate certificateOf(byte[] pfx) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(new ByteArrayInputStream(pfx), new char[0]);
    return (X509Certificate) store.getCertificate(store.aliases().nextElement());
  }

  private static ObjectNode ecJwk(ECPublicKey key, String curve, int size) {
    return new ObjectMapper().createObjectNode().put("kty", "EC").put("crv", curve)
        .put("x", FakeKeyVault.b64url(padded(key.getW().getAffineX(), size)))
        .put("y", FakeKeyVault.b64url(padded(key.getW().getAffineY(), size)));
  }

  private static byte[] unsigned(BigInteger n) {
    byte[] raw = n.toByteArray();
    return raw[0] == 0 ? java.util.Arrays.copyOfRange(raw, 1, raw.length) : raw;
  }

  private static byte[] padded(BigInteger n, int size) {
    byte[] raw = unsigned(n);
    byte[] out = new byte[size];
    System.arraycopy(raw, 0, out, size - raw.length, raw.length);
    return out;
  }
}
