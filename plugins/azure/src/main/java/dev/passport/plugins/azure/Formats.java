package dev.passport.plugins.azure;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.AlgorithmParameters;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bytes provider-azure writes for each kind of object, reproduced: Go's {@code pem} encoding
 * (64-column base64, no headers), certificates and PKCS#8 keys out of a certificate's PFX, public
 * keys out of a JSON web key, and {@code objectEncoding}.
 */
final class Formats {

  static final String PEM_CONTENT_TYPE = "application/x-pem-file";
  static final String PFX_CONTENT_TYPE = "application/x-pkcs12";
  private static final Pattern PEM_BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n(?:[^\\r\\n:]+:[^\\r\\n]*\\r?\\n)*\\r?\\n?([A-Za-z0-9+/=\\r\\n]*?)-----END \\1-----");

  private Formats() {}

  /** Go's {@code pem.EncodeToMemory} of a block without headers. */
  static String pem(String type, byte[] der) {
    String base64 = Base64.getEncoder().encodeToString(der);
    StringBuilder out = new StringBuilder(base64.length() + 80);
    out.append("-----BEGIN ").append(type).append("-----\n");
    for (int i = 0; i < base64.length(); i += 64) {
      out.append(base64, i, Math.min(base64.length(), i + 64)).append('\n');
    }
    return out.append("-----END ").append(type).append("-----\n").toString();
  }

  /**
   * A certificate secret's PFX as provider-azure's {@code decodePKCS12} writes it: the private key
   * as Go's PKCS#8 {@code PRIVATE KEY} ({@link GoPkcs8}), then the certificates, leaf first when
   * they form a chain ({@code constructPemChain}).
   */
  static String pfxToPem(String base64Pfx, boolean constructPemChain)
      throws GeneralSecurityException {
    KeyStore store = loadPfx(base64Pfx);
    StringBuilder keys = new StringBuilder();
    Set<X509Certificate> certificates = new LinkedHashSet<>();
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (store.isKeyEntry(alias)) {
          Key key = store.getKey(alias, new char[0]);
          Certificate[] chain = store.getCertificateChain(alias);
          if (key instanceof PrivateKey privateKey) {
            X509Certificate own = chain != null && chain.length > 0
                && chain[0] instanceof X509Certificate c ? c : null;
            keys.append(pem("PRIVATE KEY", GoPkcs8.encode(privateKey, own)));
          }
          if (chain != null) {
            for (Certificate c : chain) {
              certificates.add((X509Certificate) c);
            }
          }
        } else if (store.getCertificate(alias) instanceof X509Certificate c) {
          certificates.add(c);
        }
      }
    } catch (java.security.KeyStoreException e) {
      throw new GeneralSecurityException(e.getMessage(), e);
    }
    List<X509Certificate> ordered = new ArrayList<>(certificates);
    if (constructPemChain) {
      ordered = Chains.leafFirst(ordered);
    }
    StringBuilder out = new StringBuilder(keys);
    for (X509Certificate certificate : ordered) {
      out.append(pem("CERTIFICATE", certificate.getEncoded()));
    }
    return out.toString();
  }

  /**
   * The leaf certificate of a certificate's secret (what Key Vault's certificates endpoint calls
   * {@code cer}): the key entry's certificate of a PFX, the first certificate of a PEM.
   */
  static byte[] leafCertificate(String value, String contentType)
      throws GeneralSecurityException {
    if (PFX_CONTENT_TYPE.equals(contentType)) {
      KeyStore store = loadPfx(value);
      for (String alias : Collections.list(store.aliases())) {
        if (store.isKeyEntry(alias) && store.getCertificate(alias) != null) {
          return store.getCertificate(alias).getEncoded();
        }
      }
      for (String alias : Collections.list(store.aliases())) {
        if (store.getCertificate(alias) != null) {
          return store.getCertificate(alias).getEncoded();
        }
      }
      throw new GeneralSecurityException("the PFX holds no certificate");
    }
    Matcher block = PEM_BLOCK.matcher(value);
    while (block.find()) {
      if (block.group(1).equals("CERTIFICATE")) {
        byte[] der = Base64.getMimeDecoder().decode(block.group(2));
        // parsed to be sure it is one
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        return der;
      }
    }
    throw new GeneralSecurityException("the PEM holds no CERTIFICATE block");
  }

  /** A JSON web key's public key as PKIX {@code PUBLIC KEY} PEM, as provider-azure writes keys. */
  static String publicKeyPem(String keyType, byte[] n, byte[] e, String curve, byte[] x, byte[] y)
      throws GeneralSecurityException {
    PublicKey key;
    switch (keyType) {
      case "RSA", "RSA-HSM" -> key = KeyFactory.getInstance("RSA").generatePublic(
          new RSAPublicKeySpec(new BigInteger(1, n), new BigInteger(1, e)));
      case "EC", "EC-HSM" -> {
        String name = switch (curve == null ? "" : curve) {
          case "P-256" -> "secp256r1";
          case "P-384" -> "secp384r1";
          case "P-521" -> "secp521r1";
          default -> throw new GeneralSecurityException("curve " + curve + " is not supported");
        };
        AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
        parameters.init(new ECGenParameterSpec(name));
        ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
        key = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
            new ECPoint(new BigInteger(1, x), new BigInteger(1, y)), spec));
      }
      default -> throw new GeneralSecurityException(
          "failed to get key. key type '" + keyType + "' currently not supported");
    }
    return pem("PUBLIC KEY", key.getEncoded());
  }

  /**
   * provider-azure's {@code getContentBytes}: a secret's value decoded as {@code objectEncoding}
   * says (Go's base64 skips line breaks; its hex is strict).
   */
  static byte[] decode(String content, String encoding) {
    String name = encoding.toLowerCase(Locale.ROOT);
    return switch (name) {
      case "", "utf-8" -> content.getBytes(StandardCharsets.UTF_8);
      case "base64" -> Base64.getDecoder().decode(content.replace("\r", "").replace("\n", ""));
      case "hex" -> HexFormat.of().parseHex(content);
      default -> throw new IllegalArgumentException(
          "invalid objectEncoding. Should be utf-8, base64, or hex");
    };
  }

  private static KeyStore loadPfx(String base64Pfx) throws GeneralSecurityException {
    byte[] pfx;
    try {
      pfx = Base64.getDecoder().decode(base64Pfx.strip());
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("the PFX is not base64");
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(new ByteArrayInputStream(pfx), new char[0]);
    } catch (IOException e) {
      throw new GeneralSecurityException("not a PFX without a password: " + e.getMessage(), e);
    }
    return store;
  }
}
