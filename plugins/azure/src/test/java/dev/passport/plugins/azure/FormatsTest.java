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
   * ECPrivateKey with the public key [1], without the curve [0], the scalar padded. (The JDK
   * passes the PFX's own encoding through, so these hold for PFXs OpenSSL or Go wrote; the JDK's
   * own keys are the next test.)
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

  /**
   * A PFX whose PKCS#8 is the JDK's (no public key inside, as a PFX from another writer may be):
   * Go re-marshals it, so the file holds Go's layout, assembled here by hand: PrivateKeyInfo
   * {0, {id-ecPublicKey, curve}, OCTET STRING {ECPrivateKey {1, d padded, [1] {BIT STRING 04 X Y}}}}.
   */
  @ParameterizedTest
  @ValueSource(strings = {"secp256r1", "secp384r1"})
  void pfxKeyWithoutItsPublicKey_isWrittenWithIt_asGoDoes(String curve) throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
    generator.initialize(new java.security.spec.ECGenParameterSpec(curve));
    java.security.KeyPair pair = generator.generateKeyPair();
    X509Certificate certificate = selfSigned(pair);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("1", pair.getPrivate(), new char[0],
        new java.security.cert.Certificate[] {certificate});
    java.security.interfaces.ECPrivateKey key =
        (java.security.interfaces.ECPrivateKey) pair.getPrivate();
    java.security.interfaces.ECPublicKey pub =
        (java.security.interfaces.ECPublicKey) pair.getPublic();
    boolean p256 = curve.equals("secp256r1");
    int size = p256 ? 32 : 48;
    String expected = (p256
        ? "308187" + "020100" + "301306072a8648ce3d020106082a8648ce3d030107" + "046d"
            + "306b" + "020101" + "0420" + hex(key.getS(), size) + "a144" + "034200" + "04"
        : "3081b6" + "020100" + "301006072a8648ce3d020106052b81040022" + "04819e"
            + "30819b" + "020101" + "0430" + hex(key.getS(), size) + "a164" + "036200" + "04")
        + hex(pub.getW().getAffineX(), size) + hex(pub.getW().getAffineY(), size);

    String pem = Formats.pfxToPem(base64(store), true);

    assertThat(pem).isEqualTo(AzureTestbed.pemBlock("PRIVATE KEY",
        java.util.HexFormat.of().parseHex(expected))
        + AzureTestbed.pemBlock("CERTIFICATE", certificate.getEncoded()));
  }

  /** A number big-endian in exactly {@code size} bytes, as hex. */
  private static String hex(java.math.BigInteger n, int size) {
    String digits = n.toString(16);
    return "0".repeat(size * 2 - digits.length()) + digits;
  }

  private static X509Certificate selfSigned(java.security.KeyPair pair) throws Exception {
    org.bouncycastle.asn1.x500.X500Name name =
        new org.bouncycastle.asn1.x500.X500Name("CN=ec.example.com");
    java.time.Instant now = java.time.Instant.now();
    return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
        new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name, java.math.BigInteger.ONE,
            java.util.Date.from(now), java.util.Date.from(now.plusSeconds(3600)), name,
            pair.getPublic())
            .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                .build(pair.getPrivate())));
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
