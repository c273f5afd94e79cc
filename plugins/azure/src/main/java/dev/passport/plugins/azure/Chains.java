package dev.passport.plugins.azure;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * provider-azure's {@code fetchCertChains}: certificates linked by authority key id → subject key
 * id, leaf first; the original order when they do not form one complete chain.
 */
final class Chains {

  private static final String SUBJECT_KEY_ID = "2.5.29.14";
  private static final String AUTHORITY_KEY_ID = "2.5.29.35";

  private Chains() {}

  static List<X509Certificate> leafFirst(List<X509Certificate> certificates) {
    int n = certificates.size();
    if (n < 2) {
      return certificates;
    }
    byte[][] ski = new byte[n][];
    byte[][] aki = new byte[n][];
    for (int i = 0; i < n; i++) {
      ski[i] = subjectKeyId(certificates.get(i));
      aki[i] = authorityKeyId(certificates.get(i));
    }
    int[] parent = new int[n];
    boolean[] isParent = new boolean[n];
    Arrays.fill(parent, -1);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (i == j || (aki[i] == null && ski[j] == null)) {
          continue;
        }
        // Go compares string(nil) == string(nil) as equal too
        byte[] a = aki[i] == null ? new byte[0] : aki[i];
        byte[] s = ski[j] == null ? new byte[0] : ski[j];
        if (Arrays.equals(a, s)) {
          isParent[j] = true;
          parent[i] = j;
          break;
        }
      }
    }
    int leaf = -1;
    for (int i = 0; i < n; i++) {
      if (!isParent[i]) {
        leaf = i;
        break;
      }
    }
    if (leaf < 0) {
      return certificates;
    }
    List<X509Certificate> chain = new ArrayList<>();
    for (int at = leaf; at >= 0; at = parent[at]) {
      if (chain.size() >= n) {
        return certificates; // a cycle
      }
      chain.add(certificates.get(at));
    }
    return chain.size() == n ? chain : certificates;
  }

  /** The key identifier of the SubjectKeyIdentifier extension: OCTET STRING { OCTET STRING }. */
  static byte[] subjectKeyId(X509Certificate certificate) {
    byte[] value = certificate.getExtensionValue(SUBJECT_KEY_ID);
    if (value == null) {
      return null;
    }
    byte[] inner = contents(value, 0x04);
    return inner == null ? null : contents(inner, 0x04);
  }

  /** The keyIdentifier [0] of AuthorityKeyIdentifier: OCTET STRING { SEQUENCE { [0] ... } }. */
  static byte[] authorityKeyId(X509Certificate certificate) {
    byte[] value = certificate.getExtensionValue(AUTHORITY_KEY_ID);
    if (value == null) {
      return null;
    }
    byte[] sequence = contents(value, 0x04);
    byte[] fields = sequence == null ? null : contents(sequence, 0x30);
    if (fields == null || fields.length < 2 || (fields[0] & 0xff) != 0x80) {
      return null;
    }
    return contents(fields, 0x80);
  }

  /** The contents of the DER element at the start of {@code der} if its tag is {@code tag}. */
  private static byte[] contents(byte[] der, int tag) {
    if (der.length < 2 || (der[0] & 0xff) != tag) {
      return null;
    }
    int length = der[1] & 0xff;
    int offset = 2;
    if (length >= 0x80) {
      int bytes = length & 0x7f;
      if (bytes < 1 || bytes > 3 || der.length < 2 + bytes) {
        return null;
      }
      length = 0;
      for (int i = 0; i < bytes; i++) {
        length = (length << 8) | (der[2 + i] & 0xff);
      }
      offset = 2 + bytes;
    }
    if (offset + length > der.length) {
      return null;
    }
    return Arrays.copyOfRange(der, offset, offset + length);
  }
}
