package dev.passport.plugins.azure;

import dev.passport.support.Der;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;

/**
 * A private key as PKCS#8 DER the way Go's {@code x509.MarshalPKCS8PrivateKey} writes it, which is
 * what provider-azure puts in a certificate secret's {@code PRIVATE KEY} block. RSA keys: the JDK's
 * encoding is already Go's. EC keys differ: Go's inner ECPrivateKey (RFC 5915) carries the public
 * key ({@code [1] BIT STRING}, uncompressed point) and omits the curve ({@code [0]}, already in the
 * AlgorithmIdentifier), with the private scalar padded to the curve order's byte length; the JDK
 * writes no public key. Java's key has no public point, so it comes from the certificate the key
 * belongs to, after checking that the two really are one key pair.
 */
final class GoPkcs8 {

  private static final byte[] PROBE = "passport: key and certificate are one pair"
      .getBytes(StandardCharsets.US_ASCII);

  private GoPkcs8() {}

  static byte[] encode(PrivateKey key, X509Certificate certificate)
      throws GeneralSecurityException {
    if (!(key instanceof ECPrivateKey ec)) {
      return key.getEncoded();
    }
    if (certificate == null || !(certificate.getPublicKey() instanceof ECPublicKey pub)) {
      throw new GeneralSecurityException("the PFX's EC private key has no EC certificate with it;"
          + " provider-azure writes the key with its public key, taken from that certificate");
    }
    requirePair(ec, pub, certificate);
    int scalarBytes = (ec.getParams().getOrder().bitLength() + 7) / 8;
    int fieldBytes = (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8;
    byte[] point = Der.concat(new byte[] {0x04}, fixed(pub.getW().getAffineX(), fieldBytes),
        fixed(pub.getW().getAffineY(), fieldBytes));
    byte[] ecPrivateKey = Der.tagged(0x30, Der.concat(
        Der.tagged(0x02, new byte[] {1}),
        Der.tagged(0x04, fixed(ec.getS(), scalarBytes)),
        Der.tagged(0xa1, Der.tagged(0x03, Der.concat(new byte[] {0}, point)))));
    return Der.tagged(0x30, Der.concat(
        Der.tagged(0x02, new byte[] {0}),
        algorithmIdentifier(pub),
        Der.tagged(0x04, ecPrivateKey)));
  }

  /** Signs with the key and verifies with the certificate: refuses a key of another certificate. */
  private static void requirePair(ECPrivateKey key, ECPublicKey pub, X509Certificate certificate)
      throws GeneralSecurityException {
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(key);
    signer.update(PROBE);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(pub);
    verifier.update(PROBE);
    boolean ok;
    try {
      ok = verifier.verify(signature);
    } catch (java.security.SignatureException e) {
      ok = false;
    }
    if (!ok) {
      throw new GeneralSecurityException("the PFX's EC private key does not belong to its"
          + " certificate " + certificate.getSubjectX500Principal().getName()
          + ": import the certificate again with its own key");
    }
  }

  /** The SubjectPublicKeyInfo's AlgorithmIdentifier (id-ecPublicKey and the named curve). */
  private static byte[] algorithmIdentifier(PublicKey pub) throws GeneralSecurityException {
    byte[] spki = pub.getEncoded();
    int at = headerLength(spki, 0);
    if ((spki[0] & 0xff) != 0x30 || (spki[at] & 0xff) != 0x30) {
      throw new GeneralSecurityException("the certificate's public key is not DER");
    }
    return Arrays.copyOfRange(spki, at, at + headerLength(spki, at) + contentLength(spki, at));
  }

  private static int headerLength(byte[] der, int at) {
    int first = der[at + 1] & 0xff;
    return first < 0x80 ? 2 : 2 + (first & 0x7f);
  }

  private static int contentLength(byte[] der, int at) {
    int first = der[at + 1] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int length = 0;
    for (int i = 0; i < (first & 0x7f); i++) {
      length = (length << 8) | (der[at + 2 + i] & 0xff);
    }
    return length;
  }

  /** Go's {@code big.Int.FillBytes}: big-endian, left-padded with zeros to {@code size}. */
  static byte[] fixed(BigInteger n, int size) throws GeneralSecurityException {
    byte[] raw = n.toByteArray();
    int skip = raw.length > 1 && raw[0] == 0 ? 1 : 0;
    if (raw.length - skip > size) {
      throw new GeneralSecurityException("an EC key value is longer than its curve");
    }
    byte[] out = new byte[size];
    System.arraycopy(raw, skip, out, size - (raw.length - skip), raw.length - skip);
    return out;
  }
}
