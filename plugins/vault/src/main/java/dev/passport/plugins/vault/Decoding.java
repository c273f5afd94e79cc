package dev.passport.plugins.vault;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * vault-csi-provider's {@code encoding}: Go's {@code base64.StdEncoding.DecodeString} and
 * {@code hex.DecodeString}, both strict (no trimming, no other alphabet).
 */
final class Decoding {

  private Decoding() {}

  /**
   * Standard alphabet, {@code =} padding required; as Go's decoder, CR and LF anywhere are skipped
   * (a PEM-style wrapped value decodes), anything else not in the alphabet fails: a URL-safe
   * value ({@code -}, {@code _}), spaces, a missing pad.
   */
  static Optional<byte[]> base64(byte[] text) {
    ByteArrayOutputStream kept = new ByteArrayOutputStream(text.length);
    for (byte b : text) {
      if (b != '\r' && b != '\n') {
        kept.write(b);
      }
    }
    byte[] bytes = kept.toByteArray();
    if (bytes.length % 4 != 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(Base64.getDecoder().decode(bytes));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** An even number of hex digits, either case, nothing else. */
  static Optional<byte[]> hex(byte[] text) {
    if (text.length % 2 != 0) {
      return Optional.empty();
    }
    for (byte b : text) {
      if (Character.digit(b, 16) < 0 || b < 0) {
        return Optional.empty();
      }
    }
    return Optional.of(HexFormat.of().parseHex(new String(text, java.nio.charset.StandardCharsets.US_ASCII)));
  }
}
