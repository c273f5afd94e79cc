package dev.passport.plugins.vault;

import dev.passport.support.Der;
import static dev.passport.api.BackendException.invalid;

import dev.passport.api.BackendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Client keys as Vault's Go client reads them ({@code tls.X509KeyPair}): unencrypted PKCS#8
 * ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) and SEC1 EC
 * ({@code BEGIN EC PRIVATE KEY}, what {@code openssl ecparam -genkey} writes). The JDK reads only
 * PKCS#8, so the other two are wrapped into it; no BouncyCastle at run time (no plugin ships it).
 */
final class PemKeys {

  private static final String WHAT = "vaultTLSClientKeyPath";
  /** rsaEncryption, 1.2.840.113549.1.1.1, with its NULL parameters. */
  private static final byte[] RSA_ALGORITHM = hex("300d06092a864886f70d0101010500");
  /** id-ecPublicKey, 1.2.840.10045.2.1. */
  private static final byte[] EC_PUBLIC_KEY_OID = hex("06072a8648ce3d0201");

  private PemKeys() {}

  static PrivateKey privateKey(Path file) throws BackendException {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw invalid("cannot read " + WHAT + " " + file + ": " + e.getClass().getSimpleName());
    }
    if (pem.contains("ENCRYPTED")) {
      throw invalid(WHAT + " " + file + " is an encrypted key; Vault's client reads only"
          + " unencrypted ones: decrypt it (openssl pkey -in key.pem -out key.pem)");
    }
    for (String type : List.of("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")) {
      byte[] der = block(pem, type, file);
      if (der != null) {
        byte[] pkcs8 = switch (type) {
          case "RSA PRIVATE KEY" ->
              sequence(Der.concat(hex("020100"), RSA_ALGORITHM, octetString(der)));
          case "EC PRIVATE KEY" -> sec1ToPkcs8(der, file);
          default -> der;
        };
        return decode(pkcs8, file);
      }
    }
    throw invalid(WHAT + " " + file + " holds no PEM private key (BEGIN PRIVATE KEY, BEGIN RSA"
        + " PRIVATE KEY or BEGIN EC PRIVATE KEY)");
  }

  private static byte[] block(String pem, String type, Path file) throws BackendException {
    String begin = "-----BEGIN " + type + "-----";
    int start = pem.indexOf(begin);
    int end = pem.indexOf("-----END " + type + "-----");
    if (start < 0 || end < start) {
      return null;
    }
    try {
      return Base64.getMimeDecoder().decode(pem.substring(start + begin.length(), end));
    } catch (IllegalArgumentException e) {
      throw invalid(WHAT + " " + file + " holds invalid base64");
    }
  }

  private static PrivateKey decode(byte[] pkcs8, Path file) throws BackendException {
    for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (GeneralSecurityException | RuntimeException e) {
        // try the next algorithm
      }
    }
    throw invalid(WHAT + " " + file + " is not an RSA, EC or Ed25519 private key");
  }

  /**
   * SEC1's {@code ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] curve OID,
   * [1] publicKey }} into PKCS#8 with the curve as the algorithm's parameters.
   */
  private static byte[] sec1ToPkcs8(byte[] sec1, Path file) throws BackendException {
    try {
      Tlv outer = new Tlv(sec1, 0);
      if (outer.tag != 0x30) {
        throw new IllegalArgumentException("not a sequence");
      }
      int at = outer.contentStart;
      byte[] curve = null;
      while (at < outer.end) {
        Tlv field = new Tlv(sec1, at);
        if (field.tag == 0xa0) {
          Tlv oid = new Tlv(sec1, field.contentStart);
          curve = Arrays.copyOfRange(sec1, oid.start, oid.end);
        }
        at = field.end;
      }
      if (curve == null) {
        throw invalid(WHAT + " " + file + " is an EC key without its curve; write it with the"
            + " curve named (openssl ec -in key.pem -param_enc named_curve) or as PKCS#8");
      }
      return sequence(Der.concat(hex("020100"), sequence(Der.concat(EC_PUBLIC_KEY_OID, curve)),
          octetString(sec1)));
    } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      throw invalid(WHAT + " " + file + " is not a valid EC private key");
    }
  }

  /** One DER element at {@code start}: its tag, where its content starts, and where it ends. */
  private static final class Tlv {
    final int start;
    final int tag;
    final int contentStart;
    final int end;

    Tlv(byte[] der, int start) {
      this.start = start;
      this.tag = der[start] & 0xff;
      int lengthByte = der[start + 1] & 0xff;
      int length;
      int offset = start + 2;
      if (lengthByte < 0x80) {
        length = lengthByte;
      } else {
        int count = lengthByte & 0x7f;
        if (count == 0 || count > 3) {
          throw new IllegalArgumentException("unsupported length");
        }
        length = 0;
        for (int i = 0; i < count; i++) {
          length = (length << 8) | (der[offset++] & 0xff);
        }
      }
      this.contentStart = offset;
      this.end = offset + length;
      if (end > der.length) {
        throw new IllegalArgumentException("truncated");
      }
    }
  }

  private static byte[] sequence(byte[] content) {
    return Der.tagged(0x30, content);
  }

  private static byte[] octetString(byte[] content) {
    return Der.tagged(0x04, content);
  }

  private static byte[] hex(String hex) {
    return java.util.HexFormat.of().parseHex(hex);
  }
}
