package dev.passport.plugins.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import dev.passport.testkit.TestPki;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FormatsTest {

  @Test
  void pem_isGosEncoding_64ColumnsAndTrailingNewline() {
    byte[] der = new byte[100];
    String pem = Formats.pem("CERTIFICATE", der);
    String[] lines = pem.split("\n", -1);

    assertThat(lines[0]).isEqualTo("-----BEGIN CERTIFICATE-----");
    assertThat(lines[1]).hasSize(64);
    assertThat(lines[3]).isEqualTo("AAAAAA==");
    assertThat(lines[4]).isEqualTo("-----END CERTIFICATE-----");
    assertThat(pem).endsWith("-----END CERTIFICATE-----\n");
  }

  @Test
  void encodings_decodeAsProviderAzure() {
    assertThat(Formats.decode("aGVsbG8=", "base64")).isEqualTo("hello".getBytes());
    assertThat(Formats.decode("aGVs\nbG8=", "BASE64")).isEqualTo("hello".getBytes());
    assertThat(Formats.decode("68656C6c6f", "hex")).isEqualTo("hello".getBytes());
    assertThat(Formats.decode("héllo", "utf-8")).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Formats.decode("abc", "hex"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pfx_becomesKeyThenChainLeafFirst_andCertObjectIsTheLeaf() throws Exception {
    TestPki pki = TestPki.create("Test Root");
    TestPki.Leaf leaf = pki.issue("web.example.com", "web.example.com");
    X509Certificate ca = (X509Certificate) java.security.cert.CertificateFactory
        .getInstance("X.509").generateCertificate(
            new java.io.ByteArrayInputStream(pki.caPem().getBytes(StandardCharsets.US_ASCII)));
    String pfx = pfx(leaf, ca);

    String pem = Formats.pfxToPem(pfx, true);

    // the key block's bytes are ecPfx_*'s subject; here the order of the blocks
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith(
        "-----END PRIVATE KEY-----\n" + Formats.pem("CERTIFICATE", leaf.certificate().getEncoded())
        + Formats.pem("CERTIFICATE", ca.getEncoded()));
    assertThat(Formats.leafCertificate(pfx, Formats.PFX_CONTENT_TYPE))
        .isEqualTo(leaf.certificate().getEncoded());
    assertThat(Formats.leafCertificate(pem, Formats.PEM_CONTENT_TYPE))
        .isEqualTo(leaf.certificate().getEncoded());
  }

  @Test
  void chain_withoutKeyIdentifiers_keepsTheOriginalOrder_asProviderAzure() throws Exception {
    // the test PKI writes no subject/authority key ids: fetchCertChains links nothing, finds an
    // incomplete chain and returns the certificates as they came
    TestPki pki = TestPki.create("Test Root");
    TestPki.Leaf leaf = pki.issue("a.example.com", "a.example.com");
    X509Certificate ca = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(
            pki.caPem().getBytes(StandardCharsets.US_ASCII)));

    assertThat(Chains.leafFirst(List.of(ca, leaf.certificate())))
        .containsExactly(ca, leaf.certificate());
  }

  @Test
  void objects_boundsAndProviderAzureRules() {
    assertThatThrownBy(() -> AzureVolume.parseObjects(
        AzureTestbed.objects("objectName: a\nobjectType: Secret"), new HashSet<>()))
        .isInstanceOf(BackendException.class).hasMessageContaining("Should be secret, key, or cert");
    assertThatThrownBy(() -> AzureVolume.parseObjects(
        AzureTestbed.objects("objectName: a\nobjectType: secret\nobjectAlias: ../x"),
        new HashSet<>()))
        .hasMessageContaining("must not contain '..'");
    assertThatThrownBy(() -> AzureVolume.parseObjects(
        AzureTestbed.objects("objectName: a\nobjectType: key\nobjectFormat: pfx"),
        new HashSet<>()))
        .hasMessageContaining("PFX format only supported for objectType: secret");
    assertThatThrownBy(() -> AzureVolume.parseObjects(
        AzureTestbed.objects("objectName: a\nobjectType: cert\nobjectEncoding: base64"),
        new HashSet<>()))
        .hasMessageContaining("objectEncoding only supported for objectType: secret");
    assertThatThrownBy(() -> AzureVolume.parseObjects(
        AzureTestbed.objects("objectName: a/../../b\nobjectType: secret"), new HashSet<>()))
        .hasMessageContaining("objectName must be a Key Vault object name");
  }

  @Test
  void vaultName_cannotLeaveTheTemplatesLabel() {
    java.util.Map<String, String> attributes = AzureTestbed.attributes(
        AzureTestbed.objects("objectName: a\nobjectType: secret"));
    attributes.put("keyvaultName", "evil.example.com/x");

    assertThatThrownBy(() -> AzureVolume.parse(attributes, AzureConfig.defaults()))
        .hasMessageContaining("[-a-zA-Z0-9]{3,24}");
  }

  @Test
  void podIdentity_isRefusedSayingPassportAuthenticatesAsThePod() {
    java.util.Map<String, String> attributes = AzureTestbed.attributes(
        AzureTestbed.objects("objectName: a\nobjectType: secret"));
    attributes.put("usePodIdentity", "true");

    assertThatThrownBy(() -> AzureVolume.parse(attributes, AzureConfig.defaults()))
        .hasMessageContaining("authenticates as the pod").hasMessageContaining("usePodIdentity");
  }

  /**
   * OpenSSL's PKCS#8 of the same key (test resources ec-pfx/, see its README) is Go's layout:
   * ECPrivateKey with the public key [1], without the curve [0], the scalar padded.
   */
  @ParameterizedTest
  @ValueSource(strings = {"p256", "p384", "p256short", "rsa"})
  void pfxKey_isWhatGoWrites_byteForByte(String fixture) throws Exception {
    String pfx = Base64.getEncoder().encodeToString(AzureTestbed.fixture(fixture + ".pfx"));

    String pem = Formats.pfxToPem(pfx, true);

    assertThat(pem).isEqualTo(
        AzureTestbed.pemBlock("PRIVATE KEY", AzureTestbed.fixture(fixture + ".p8.der"))
        + AzureTestbed.pemBlock("CERTIFICATE", Formats.leafCertificate(pfx,
            Formats.PFX_CONTENT_TYPE)));
  }

  @Test
  void pfxKey_ofAnotherCertificate_isRefusedNamingTheCertificate() throws Exception {
    TestPki pki = TestPki.create("Test Root");
    TestPki.Leaf leaf = pki.issue("web.example.com", "web.example.com");
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
    generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("1", generator.generateKeyPair().getPrivate(), new char[0],
        new java.security.cert.Certificate[] {leaf.certificate()});

    assertThatThrownBy(() -> Formats.pfxToPem(base64(store), true))
        .isInstanceOf(java.security.GeneralSecurityException.class)
        .hasMessageContaining("does not belong to its certificate")
        .hasMessageContaining("CN=web.example.com");
  }

  private static String pfx(TestPki.Leaf leaf, X509Certificate ca) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("1", leaf.privateKey(), new char[0],
        new java.security.cert.Certificate[] {leaf.certificate(), ca});
    return base64(store);
  }

  private static String base64(KeyStore store) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    store.store(out, new char[0]);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }
}
