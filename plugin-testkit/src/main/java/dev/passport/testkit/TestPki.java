package dev.passport.testkit;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway CA issuing EC P-256 server and client certificates for TLS tests. */
public final class TestPki {

  private static final char[] PASSWORD = "test".toCharArray();
  private static final AtomicLong SERIAL = new AtomicLong(1);

  private final KeyPair caKeys;
  private final X509Certificate caCertificate;

  private TestPki(KeyPair caKeys, X509Certificate caCertificate) {
    this.caKeys = caKeys;
    this.caCertificate = caCertificate;
  }

  public static TestPki create(String name) throws GeneralSecurityException {
    KeyPair keys = ecKeys();
    X500Name subject = new X500Name("CN=" + name);
    X509Certificate ca = sign(keys, subject, keys, subject, true, List.of());
    return new TestPki(keys, ca);
  }

  /** A leaf certificate with these SANs: IP literals become iPAddress entries, others dNSName. */
  public Leaf issue(String commonName, String... subjectAltNames) throws GeneralSecurityException {
    KeyPair keys = ecKeys();
    List<GeneralName> names = Arrays.stream(subjectAltNames)
        .map(n -> new GeneralName(n.matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName, n))
        .toList();
    X509Certificate cert = sign(keys, new X500Name("CN=" + commonName), caKeys,
        new X500Name(caCertificate.getSubjectX500Principal().getName()), false, names);
    return new Leaf(keys, cert, caCertificate);
  }

  public String caPem() throws GeneralSecurityException {
    return pem("CERTIFICATE", caCertificate.getEncoded());
  }

  public Path writeCa(Path file) throws IOException, GeneralSecurityException {
    return Files.writeString(file, caPem(), StandardCharsets.US_ASCII);
  }

  /** An SSLContext serving {@code leaf} and trusting this CA's client certificates. */
  public SSLContext serverContext(Leaf leaf) throws GeneralSecurityException, IOException {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("server", leaf.keys.getPrivate(), PASSWORD,
        new X509Certificate[] {leaf.certificate, caCertificate});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", caCertificate);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  /** A certificate and its key. */
  public static final class Leaf {
    final KeyPair keys;
    final X509Certificate certificate;
    final X509Certificate ca;

    Leaf(KeyPair keys, X509Certificate certificate, X509Certificate ca) {
      this.keys = keys;
      this.certificate = certificate;
      this.ca = ca;
    }

    /** The leaf's private key, e.g. for a gRPC or Netty server's key manager. */
    public PrivateKey privateKey() {
      return keys.getPrivate();
    }

    /** The leaf certificate. */
    public X509Certificate certificate() {
      return certificate;
    }

    public Path writeCertificate(Path file) throws IOException, GeneralSecurityException {
      return Files.writeString(file, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
    }

    /** The key as unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}). */
    public Path writeKey(Path file) throws IOException {
      return Files.writeString(file, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    }
  }

  private static X509Certificate sign(KeyPair subjectKeys, X500Name subject, KeyPair issuerKeys,
      X500Name issuer, boolean ca, List<GeneralName> names) throws GeneralSecurityException {
    Instant now = Instant.now();
    try {
      JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
          BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
          Date.from(now.plus(Duration.ofDays(1))), subject, subjectKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.toArray(new GeneralName[0])));
      }
      return new JcaX509CertificateConverter().getCertificate(builder.build(
          new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (OperatorCreationException | IOException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
