package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.EncryptedData;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCS12SafeBagFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The PKCS#12 profiles of go-pkcs12 (csi-driver writes LegacyRC2, issue 18 item 6): which
 * algorithm protects the certificates, the key and the MAC, and that the JDK reads the result.
 */
class Pkcs12ProfileTest {

  private static X509Certificate selfSigned(KeyPair key) throws Exception {
    Instant now = Instant.now();
    return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
        new X500Name("CN=web"), BigInteger.ONE, Date.from(now), Date.from(now.plus(Duration.ofDays(1))),
        new X500Name("CN=web"), key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withRSA").setProvider(KeySpec.BC).build(key.getPrivate())));
  }

  @ParameterizedTest
  @CsvSource({
      // certificates' encryption, key's encryption, MAC digest, MAC iterations
      "LegacyRC2, 1.2.840.113549.1.12.1.6, 1.2.840.113549.1.12.1.3, 1.3.14.3.2.26, 1",
      "LegacyDES, 1.2.840.113549.1.12.1.3, 1.2.840.113549.1.12.1.3, 1.3.14.3.2.26, 1",
      "Modern2023, 1.2.840.113549.1.5.13, 1.2.840.113549.1.5.13, 2.16.840.1.101.3.4.2.1, 2048"})
  void encode_profile_usesGoPkcs12sAlgorithms_andTheJdkReadsIt(Pkcs12Profile profile,
      String certAlgorithm, String keyAlgorithm, String macDigest, int macIterations) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", KeySpec.BC);
    generator.initialize(2048);
    KeyPair key = generator.generateKeyPair();
    X509Certificate leaf = selfSigned(key);

    byte[] p12 = profile.encode(key, List.of(leaf), "changeit");

    PKCS12PfxPdu pfx = new PKCS12PfxPdu(p12);
    assertThat(pfx.getMacAlgorithmID().getAlgorithm()).isEqualTo(new ASN1ObjectIdentifier(macDigest));
    assertThat(org.bouncycastle.asn1.pkcs.Pfx.getInstance(p12).getMacData().getIterationCount())
        .isEqualTo(java.math.BigInteger.valueOf(macIterations));
    ContentInfo[] safes = pfx.getContentInfos();
    // go-pkcs12's layout: encrypted certificates first, then the plain safe with the shrouded key.
    assertThat(safes).hasSize(2);
    assertThat(safes[0].getContentType()).isEqualTo(PKCSObjectIdentifiers.encryptedData);
    assertThat(EncryptedData.getInstance(safes[0].getContent()).getEncryptionAlgorithm().getAlgorithm())
        .isEqualTo(new ASN1ObjectIdentifier(certAlgorithm));
    assertThat(safes[1].getContentType()).isEqualTo(PKCSObjectIdentifiers.data);
    PKCS12SafeBag[] bags = new PKCS12SafeBagFactory(safes[1]).getSafeBags();
    assertThat(bags).hasSize(1);
    assertThat(bags[0].getType()).isEqualTo(PKCSObjectIdentifiers.pkcs8ShroudedKeyBag);
    assertThat(((org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo) bags[0].getBagValue())
        .getEncryptionAlgorithm().getAlgorithm()).isEqualTo(new ASN1ObjectIdentifier(keyAlgorithm));
    assertThat(bags[0].getAttributes()).extracting(a -> a.getAttrType())
        .containsExactly(PKCSObjectIdentifiers.pkcs_9_at_localKeyId);

    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(new ByteArrayInputStream(p12), "changeit".toCharArray());
    String alias = store.aliases().nextElement();
    assertThat(store.getCertificate(alias)).isEqualTo(leaf);
    assertThat(store.getKey(alias, "changeit".toCharArray()).getEncoded())
        .isEqualTo(key.getPrivate().getEncoded());
  }
}
