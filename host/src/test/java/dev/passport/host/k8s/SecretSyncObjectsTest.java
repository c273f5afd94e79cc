package dev.passport.host.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * spec.secretObjects as secrets-store-csi-driver reads them ({@code secretutil}), and the Secret
 * built from the files: pure functions, no server.
 */
class SecretSyncObjectsTest {

  private static final String WHAT = "SecretProviderClass shop/spc";

  @Test
  void namesAndKeysAreTrimmed_aTypeOfSpacesIsOpaque_asTheIncumbent() throws Exception {
    List<SecretObject> parsed = SecretObjects.parse(List.of(Map.of("secretName", " foo ",
        "type", "  ", "data", List.of(Map.of("objectName", " a ", "key", " k ")))), WHAT);

    assertThat(parsed).singleElement().satisfies(o -> {
      assertThat(o.secretName()).isEqualTo("foo");
      assertThat(o.type()).isEqualTo("Opaque");
      assertThat(o.data()).containsExactly(new SecretObject.Data("a", "k"));
    });
  }

  @Test
  void missingNameTypeOrData_areRefusedWithTheIncumbentsWords() {
    assertInvalid(Map.of("type", "Opaque", "data", List.of(Map.of("objectName", "a", "key", "k"))),
        "secret name is empty");
    assertInvalid(Map.of("secretName", "foo", "data", List.of(Map.of("objectName", "a", "key", "k"))),
        "secret type is empty");
    assertInvalid(Map.of("secretName", "foo", "type", "Opaque"), "data is empty");
    assertInvalid(Map.of("secretName", "foo", "type", "Opaque", "data", List.of(Map.of("key", "k"))),
        "object name in secretObjects.data is empty");
    assertInvalid(Map.of("secretName", "foo", "type", "Opaque",
        "data", List.of(Map.of("objectName", "a", "key", "bad/key"))), "is not a Secret data key");
  }

  @Test
  void sameSecretTwice_andAnnotationsOverKubernetesLimit_areRefused() {
    Map<String, Object> one = Map.of("secretName", "foo", "type", "Opaque",
        "data", List.of(Map.of("objectName", "a", "key", "k")));
    assertThatThrownBy(() -> SecretObjects.parse(List.of(one, one), WHAT))
        .hasMessageContaining("names Secret foo twice");
    assertInvalid(Map.of("secretName", "foo", "type", "Opaque",
        "annotations", Map.of("big", "x".repeat(256 * 1024)),
        "data", List.of(Map.of("objectName", "a", "key", "k"))), "Kubernetes allows at most 262144");
  }

  @Test
  void builtSecret_carriesTheManagedLabel_andTheLastEntryOfAKeyWins() throws Exception {
    SecretObject object = new SecretObject("foo", "Opaque", Map.of("env", "test"), Map.of(),
        List.of(new SecretObject.Data("a", "k"), new SecretObject.Data("b", "k")));

    SyncedSecret secret = SyncedSecret.build(object, Map.of("a", bytes("A"), "b", bytes("B")), WHAT);

    assertThat(secret.labels()).containsExactlyEntriesOf(
        new java.util.TreeMap<>(Map.of("env", "test", "secrets-store.csi.k8s.io/managed", "true")));
    assertThat(new String(secret.data().get("k"), StandardCharsets.UTF_8)).isEqualTo("B");
    assertThat(SyncedSecret.build(object, Map.of("a", bytes("A"), "b", bytes("B")), WHAT).hash())
        .isEqualTo(secret.hash())
        .isNotEqualTo(SyncedSecret.build(object, Map.of("a", bytes("A"), "b", bytes("C")), WHAT).hash());
  }

  @Test
  void tls_ecKeyAndCertificates_areReencodedAsGoDoes_otherKeysRefused() {
    // the shape of a P-256 SEC 1 key (version 1, 32-byte key, [0] prime256v1, [1] public point)
    byte[] sec1 = Base64.getDecoder().decode("MHcCAQEEIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"
        + "oAoGCCqGSM49AwEHoUQDQgAEQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl9gYWJjZGVmZ2hpamtsbW5v"
        + "cHFyc3R1dnd4eXp7fH1+fw==");
    byte[] certDer = bytes("not really DER, but a CERTIFICATE block's bytes are copied as they are");
    // headers and CRLF in the input, as PEM files in the wild have
    String input = "-----BEGIN EC PRIVATE KEY-----\r\n" + Base64.getMimeEncoder().encodeToString(sec1)
        + "\r\n-----END EC PRIVATE KEY-----\r\n" + new String(TlsParts.encode("CERTIFICATE", certDer),
            StandardCharsets.US_ASCII);

    assertThat(TlsParts.part(bytes(input), "tls.key")).isEqualTo(TlsParts.encode("EC PRIVATE KEY", sec1));
    assertThat(TlsParts.part(bytes(input), "tls.crt")).isEqualTo(TlsParts.encode("CERTIFICATE", certDer));
    assertThatThrownBy(() -> TlsParts.part(bytes(input), "ca.crt"))
        .hasMessageContaining("Only 'tls.key' and 'tls.crt' are supported");
    assertThatThrownBy(() -> TlsParts.part(bytes("no pem here"), "tls.crt"))
        .hasMessageContaining("PKCS #12 files are not supported");
  }

  @Test
  void tls_aKeyBlockThatIsNoKey_becomesAnEmptyPrivateKeyBlock_asGoWrites() {
    String input = new String(TlsParts.encode("PRIVATE KEY", bytes("garbage")), StandardCharsets.US_ASCII);

    assertThat(new String(TlsParts.part(bytes(input), "tls.key"), StandardCharsets.US_ASCII))
        .isEqualTo("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");
  }

  @Test
  void tls_pkcs8RsaKey_becomesItsPkcs1Body_asGoMarshalsIt() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024); // the shape is what is tested, not the strength
    byte[] pkcs8 = rsa.generateKeyPair().getPrivate().getEncoded();
    String input = new String(TlsParts.encode("PRIVATE KEY", pkcs8), StandardCharsets.US_ASCII);

    String key = new String(TlsParts.part(bytes(input), "tls.key"), StandardCharsets.US_ASCII);

    assertThat(key).startsWith("-----BEGIN RSA PRIVATE KEY-----\n");
    byte[] pkcs1 = Base64.getMimeDecoder().decode(key.replaceAll("-----[A-Z ]+-----", ""));
    // the JDK writes PKCS #8 as version, algorithm, OCTET STRING(PKCS #1): the body is its tail
    assertThat(Arrays.copyOfRange(pkcs8, pkcs8.length - pkcs1.length, pkcs8.length)).isEqualTo(pkcs1);
    assertThat(pkcs1[0]).isEqualTo((byte) 0x30);
  }

  @Test
  void tls_pkcs8EcKeyWithoutItsPublicKey_asTheJdkWritesIt_isRefusedNamingTheFormatToUse()
      throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    String input = new String(TlsParts.encode("PRIVATE KEY",
        ec.generateKeyPair().getPrivate().getEncoded()), StandardCharsets.US_ASCII);

    assertThatThrownBy(() -> TlsParts.part(bytes(input), "tls.key"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the PKCS #8 EC key carries no public key; write it as an EC PRIVATE KEY"
            + " (SEC 1) block");
  }

  private static void assertInvalid(Map<String, Object> object, String message) {
    assertThatThrownBy(() -> SecretObjects.parse(List.of(object), WHAT))
        .isInstanceOf(SecretProviderClassException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((SecretProviderClassException) e).retryable()).isFalse());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
