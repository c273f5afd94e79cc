package dev.passport.host.k8s;

import dev.passport.support.Der;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code tls.crt} and {@code tls.key} parts of a PEM file, as secrets-store-csi-driver's
 * {@code secretutil.GetCertPart} splits a file for a {@code kubernetes.io/tls} Secret:
 * {@code tls.crt} is every {@code CERTIFICATE} block, re-encoded; {@code tls.key} is the last other
 * block, written as {@code RSA PRIVATE KEY} (PKCS #1) for RSA keys and {@code EC PRIVATE KEY}
 * (SEC 1) for EC keys, converted from PKCS #8 where needed. Differences, refused with a message
 * instead: PKCS #12 files (the incumbent tries an empty password), and a PKCS #8 EC key that does
 * not carry its public key.
 */
final class TlsParts {

  static final String CERT_KEY = "tls.crt";
  static final String KEY_KEY = "tls.key";

  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([^\\r\\n-]*)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final byte[] RSA_OID = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
  private static final byte[] EC_OID = {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

  private TlsParts() {}

  static byte[] part(byte[] content, String key) {
    if (key.equals(KEY_KEY)) {
      return privateKey(content);
    }
    if (key.equals(CERT_KEY)) {
      return certificates(content);
    }
    throw new IllegalArgumentException("key '" + key + "' is not supported. Only 'tls.key' and"
        + " 'tls.crt' are supported");
  }

  private static byte[] certificates(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Block block : blocks(content)) {
      if (block.type.equals("CERTIFICATE")) {
        out.writeBytes(encode("CERTIFICATE", block.bytes));
      }
    }
    if (out.size() == 0) {
      throw new IllegalArgumentException("no PEM CERTIFICATE block (PKCS #12 files are not"
          + " supported; mount the certificate as PEM)");
    }
    return out.toByteArray();
  }

  private static byte[] privateKey(byte[] content) {
    byte[] der = null;
    for (Block block : blocks(content)) {
      if (!block.type.equals("CERTIFICATE")) {
        der = block.bytes;
      }
    }
    if (der == null) {
      throw new IllegalArgumentException("no PEM private key block (PKCS #12 files are not"
          + " supported; mount the key as PEM)");
    }
    try {
      Tlv top = Tlv.read(der, 0);
      if (top.tag == 0x30 && top.end == der.length) {
        List<Tlv> fields = top.children(der);
        if (fields.size() >= 9 && fields.get(0).tag == 0x02 && fields.get(1).tag == 0x02) {
          return encode("RSA PRIVATE KEY", der);
        }
        if (fields.size() >= 3 && fields.get(0).tag == 0x02 && fields.get(1).tag == 0x30
            && fields.get(2).tag == 0x04) {
          return pkcs8(der, fields);
        }
        if (fields.size() >= 2 && fields.get(0).tag == 0x02 && fields.get(1).tag == 0x04) {
          return encode("EC PRIVATE KEY", der);
        }
      }
    } catch (IndexOutOfBoundsException e) {
      // not DER: as secrets-store-csi-driver, which then writes an empty key block
    }
    return encode("PRIVATE KEY", new byte[0]);
  }

  private static byte[] pkcs8(byte[] der, List<Tlv> fields) {
    List<Tlv> algorithm = fields.get(1).children(der);
    byte[] oid = algorithm.get(0).value(der);
    byte[] inner = fields.get(2).value(der);
    if (Arrays.equals(oid, RSA_OID)) {
      return encode("RSA PRIVATE KEY", inner);
    }
    if (Arrays.equals(oid, EC_OID) && algorithm.size() > 1) {
      // SEC 1 as Go's MarshalECPrivateKey writes it: version, key, [0] curve, [1] public key
      Tlv curve = algorithm.get(1);
      List<Tlv> sec1 = Tlv.read(inner, 0).children(inner);
      Tlv publicKey = null;
      for (Tlv field : sec1) {
        if (field.tag == 0xa1) {
          publicKey = field;
        }
      }
      if (publicKey == null) {
        throw new IllegalArgumentException("the PKCS #8 EC key carries no public key; write it as"
            + " an EC PRIVATE KEY (SEC 1) block");
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.writeBytes(new byte[] {0x02, 0x01, 0x01});
      body.writeBytes(Arrays.copyOfRange(inner, sec1.get(1).start, sec1.get(1).end));
      body.writeBytes(Der.tagged(0xa0, Arrays.copyOfRange(der, curve.start, curve.end)));
      body.writeBytes(Arrays.copyOfRange(inner, publicKey.start, publicKey.end));
      return encode("EC PRIVATE KEY", Der.tagged(0x30, body.toByteArray()));
    }
    // secrets-store-csi-driver: "unknown private key type found while getting key"
    throw new IllegalArgumentException("unknown private key type found while getting key. Only rsa"
        + " and ecdsa are supported");
  }

  private record Block(String type, byte[] bytes) {}

  private static List<Block> blocks(byte[] content) {
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(new String(content, StandardCharsets.ISO_8859_1));
    while (m.find()) {
      String body = m.group(2);
      // PEM headers (Proc-Type: …) end at the first blank line; the base64 follows
      int blank = body.indexOf("\n\n");
      if (body.contains(":") && blank >= 0) {
        body = body.substring(blank + 2);
      }
      try {
        blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body)));
      } catch (IllegalArgumentException e) {
        // not base64: Go's pem.Decode skips such a block too
      }
    }
    return blocks;
  }

  /** Go's {@code pem.EncodeToMemory}: 64-column base64, a newline after each line and the end. */
  static byte[] encode(String type, byte[] der) {
    StringBuilder out = new StringBuilder("-----BEGIN ").append(type).append("-----\n");
    String b64 = Base64.getEncoder().encodeToString(der);
    for (int i = 0; i < b64.length(); i += 64) {
      out.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    }
    out.append("-----END ").append(type).append("-----\n");
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** One DER element: its tag, where it starts, where its value starts and where it ends. */
  private record Tlv(int tag, int start, int valueStart, int end) {

    static Tlv read(byte[] der, int at) {
      int tag = der[at] & 0xff;
      int len = der[at + 1] & 0xff;
      int value = at + 2;
      if (len >= 0x80) {
        int count = len & 0x7f;
        if (count == 0 || count > 3) {
          throw new IndexOutOfBoundsException("unsupported DER length");
        }
        len = 0;
        for (int i = 0; i < count; i++) {
          len = (len << 8) | (der[value + i] & 0xff);
        }
        value += count;
      }
      if (value + len > der.length) {
        throw new IndexOutOfBoundsException("truncated DER");
      }
      return new Tlv(tag, at, value, value + len);
    }

    List<Tlv> children(byte[] der) {
      List<Tlv> children = new ArrayList<>();
      for (int at = valueStart; at < end; ) {
        Tlv child = read(der, at);
        children.add(child);
        at = child.end;
      }
      return children;
    }

    byte[] value(byte[] der) {
      return Arrays.copyOfRange(der, valueStart, end);
    }
  }
}
