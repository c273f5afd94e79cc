package dev.passport.host.volume;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 over fields, each its UTF-8 length (4 bytes, big-endian) and then its bytes: the
 * length prefix keeps two different lists of fields from hashing the same byte stream ("ab", "c"
 * vs "a", "bc"). The volume's attributes hash and the templates' fingerprint are made so; both
 * are in recorded volume states and cache keys, so the bytes fed here must never change.
 */
public final class FieldHash {
  private final MessageDigest digest;

  private FieldHash() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** A hash of no fields yet. */
  public static FieldHash sha256() {
    return new FieldHash();
  }

  /** One byte, not length-prefixed: a flag of fixed size. */
  public FieldHash flag(boolean value) {
    digest.update((byte) (value ? 1 : 0));
    return this;
  }

  /** A length-prefixed field. */
  public FieldHash field(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    digest.update(ByteBuffer.allocate(Integer.BYTES).putInt(bytes.length).array());
    digest.update(bytes);
    return this;
  }

  /** The first 16 bytes of the hash in lower-case hex; the hash can take no more fields. */
  public String hex16() {
    return HexFormat.of().formatHex(digest.digest(), 0, 16);
  }
}
