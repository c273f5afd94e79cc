package dev.passport.plugins.certmanager;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

/**
 * How a PKCS#12 keystore is protected: the profiles of the Go library csi-driver uses
 * ({@code software.sslmate.com/src/go-pkcs12} v0.7.3), by the names cert-manager's Certificate API
 * gives them ({@code spec.keystores.pkcs12.profile}). csi-driver v0.16 always writes
 * {@link #LegacyRC2} ({@code pkg/keystore/pkcs12}); Passport defaults to it and lets a volume
 * choose another with {@code csi.cert-manager.io/pkcs12-profile}.
 *
 * <p>The layout is go-pkcs12's {@code Encoder.Encode}: an encrypted SafeContents of certificate
 * bags (the leaf with a {@code localKeyId} of its SHA-1, then the chain without attributes),
 * then a plain SafeContents with the shrouded key bag (same {@code localKeyId}); no friendly
 * names. Salts are BouncyCastle's length (20 bytes) where go-pkcs12 uses 8 or 16, which no reader
 * depends on.
 */
enum Pkcs12Profile {
  /** Certificates RC2-40-CBC, key 3DES, both PBE-SHA1 with 2048 iterations; MAC HMAC-SHA1, 1 iteration. */
  LegacyRC2(PKCSObjectIdentifiers.pbeWithSHAAnd40BitRC2_CBC,
      PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC, OIWObjectIdentifiers.idSHA1, 1),
  /** Certificates and key 3DES, PBE-SHA1 with 2048 iterations; MAC HMAC-SHA1, 1 iteration (OpenSSL -descert). */
  LegacyDES(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC,
      PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC, OIWObjectIdentifiers.idSHA1, 1),
  /** PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, 2048 iterations); MAC HMAC-SHA256, 2048 iterations. */
  Modern2023(NISTObjectIdentifiers.id_aes256_CBC, NISTObjectIdentifiers.id_aes256_CBC,
      NISTObjectIdentifiers.id_sha256, 2048);

  static final int ENCRYPTION_ITERATIONS = 2048;

  private final ASN1ObjectIdentifier certAlgorithm;
  private final ASN1ObjectIdentifier keyAlgorithm;
  private final ASN1ObjectIdentifier macDigest;
  private final int macIterations;

  Pkcs12Profile(ASN1ObjectIdentifier certAlgorithm, ASN1ObjectIdentifier keyAlgorithm,
      ASN1ObjectIdentifier macDigest, int macIterations) {
    this.certAlgorithm = certAlgorithm;
    this.keyAlgorithm = keyAlgorithm;
    this.macDigest = macDigest;
    this.macIterations = macIterations;
  }

  /** The DER keystore of {@code key} and {@code chain} (leaf first), protected by {@code password}. */
  byte[] encode(KeyPair key, List<X509Certificate> chain, String password)
      throws GeneralSecurityException, IOException {
    char[] secret = password.toCharArray();
    try {
      DEROctetString localKeyId = new DEROctetString(
          MessageDigest.getInstance("SHA-1").digest(chain.get(0).getEncoded()));
      List<PKCS12SafeBag> certificates = new ArrayList<>();
      for (int i = 0; i < chain.size(); i++) {
        JcaPKCS12SafeBagBuilder bag = new JcaPKCS12SafeBagBuilder(chain.get(i));
        if (i == 0) {
          bag.addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId);
        }
        certificates.add(bag.build());
      }
      PKCS12SafeBag keyBag = new JcaPKCS12SafeBagBuilder(key.getPrivate(), encryptor(keyAlgorithm, secret))
          .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId)
          .build();
      PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
      pfx.addEncryptedData(encryptor(certAlgorithm, secret), certificates.toArray(PKCS12SafeBag[]::new));
      pfx.addData(keyBag);
      PKCS12PfxPdu pdu = pfx.build(new JcePKCS12MacCalculatorBuilder(macDigest)
          .setProvider(KeySpec.BC).setIterationCount(macIterations), secret);
      return pdu.getEncoded();
    } catch (OperatorCreationException | PKCSException e) {
      throw new GeneralSecurityException("could not build the " + name() + " PKCS#12 keystore: "
          + e.getMessage(), e);
    }
  }

  private static OutputEncryptor encryptor(ASN1ObjectIdentifier algorithm, char[] password)
      throws OperatorCreationException {
    JcePKCSPBEOutputEncryptorBuilder builder = new JcePKCSPBEOutputEncryptorBuilder(algorithm)
        .setProvider(KeySpec.BC)
        .setIterationCount(ENCRYPTION_ITERATIONS);
    if (algorithm.equals(NISTObjectIdentifiers.id_aes256_CBC)) {
      builder.setPRF(new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256, DERNull.INSTANCE));
    }
    return builder.build(password);
  }
}
