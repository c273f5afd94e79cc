package dev.passport.plugins.certmanager;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jcajce.interfaces.EdDSAPrivateKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jce.spec.ECParameterSpec;
import org.bouncycastle.jce.spec.ECPublicKeySpec;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * The private key a volume asks for: algorithm, size and PEM encoding, with cert-manager's rules.
 *
 * @param algorithm RSA, ECDSA or Ed25519
 * @param size RSA modulus bits or ECDSA curve bits; 0 for Ed25519
 * @param encoding PKCS1 (RSA only) or PKCS8
 */
record KeySpec(Algorithm algorithm, int size, Encoding encoding) {

  /** One provider instance for the plugin; never registered globally, so the host is unaffected. */
  static final Provider BC = new BouncyCastleProvider();

  enum Algorithm { RSA, ECDSA, Ed25519 }

  enum Encoding { PKCS1, PKCS8 }

  /**
   * The key a volume gets when it sets no {@code key-algorithm}: csi-driver's defaults for that
   * algorithm (RSA 2048 in PKCS#1, ECDSA P-256 in PKCS#8, Ed25519 in PKCS#8).
   */
  static KeySpec defaultFor(Algorithm algorithm) {
    return switch (algorithm) {
      case RSA -> new KeySpec(algorithm, 2048, Encoding.PKCS1);
      case ECDSA -> new KeySpec(algorithm, 256, Encoding.PKCS8);
      case Ed25519 -> new KeySpec(algorithm, 0, Encoding.PKCS8);
    };
  }

  /** Generates a fresh key pair. */
  KeyPair generate() throws GeneralSecurityException {
    return switch (algorithm) {
      case RSA -> {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", BC);
        generator.initialize(size);
        yield generator.generateKeyPair();
      }
      case ECDSA -> {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
        generator.initialize(new ECGenParameterSpec(curveName(size)));
        yield generator.generateKeyPair();
      }
      case Ed25519 -> KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
    };
  }

  /** The CSR signature algorithm for this key, as Go's x509 package picks it. */
  String signatureAlgorithm() {
    return switch (algorithm) {
      case RSA -> "SHA256withRSA";
      case ECDSA -> switch (size) {
        case 384 -> "SHA384withECDSA";
        case 521 -> "SHA512withECDSA";
        default -> "SHA256withECDSA";
      };
      case Ed25519 -> "Ed25519";
    };
  }

  /** Whether {@code key} is of this spec's algorithm and size, so that it may be reused. */
  boolean matches(PublicKey key) {
    return switch (algorithm) {
      case RSA -> key instanceof RSAKey rsa && rsa.getModulus().bitLength() == size;
      case ECDSA -> key instanceof ECKey ec && ec.getParams().getCurve().getField().getFieldSize() == size;
      case Ed25519 -> key.getAlgorithm().equals("Ed25519") || key.getAlgorithm().equals("EdDSA");
    };
  }

  /** The private key as PEM in this spec's encoding. */
  byte[] encode(PrivateKey key) throws IOException {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
    PemObject pem = encoding == Encoding.PKCS1 && algorithm == Algorithm.RSA
        ? new PemObject("RSA PRIVATE KEY", info.parsePrivateKey().toASN1Primitive().getEncoded())
        : new PemObject("PRIVATE KEY", info.getEncoded());
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(pem);
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Reads a key pair back from PEM (PKCS#1, SEC1 or PKCS#8), e.g. the key file of the previous
   * material; empty when the bytes hold no readable private key.
   */
  static Optional<KeyPair> decode(byte[] pem) {
    try (PEMParser parser = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(BC);
      Object object = parser.readObject();
      if (object instanceof PEMKeyPair pair) {
        return Optional.of(converter.getKeyPair(pair));
      }
      if (object instanceof PrivateKeyInfo info) {
        PrivateKey privateKey = converter.getPrivateKey(info);
        return Optional.of(new KeyPair(publicKeyOf(privateKey), privateKey));
      }
      return Optional.empty();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static PublicKey publicKeyOf(PrivateKey privateKey) throws GeneralSecurityException {
    // PKCS#8 may omit the public key; every algorithm here can derive it from the private key.
    if (privateKey instanceof RSAPrivateCrtKey rsa) {
      return KeyFactory.getInstance("RSA", BC).generatePublic(
          new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
    }
    if (privateKey instanceof org.bouncycastle.jce.interfaces.ECPrivateKey ec) {
      ECParameterSpec params = ec.getParameters();
      return KeyFactory.getInstance("EC", BC).generatePublic(
          new ECPublicKeySpec(params.getG().multiply(ec.getD()).normalize(), params));
    }
    if (privateKey instanceof EdDSAPrivateKey ed) {
      return ed.getPublicKey();
    }
    throw new GeneralSecurityException("unsupported private key algorithm " + privateKey.getAlgorithm());
  }

  private static String curveName(int size) {
    return switch (size) {
      case 384 -> "secp384r1";
      case 521 -> "secp521r1";
      default -> "secp256r1";
    };
  }
}
