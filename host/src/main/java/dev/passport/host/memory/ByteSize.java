package dev.passport.host.memory;

import java.util.Locale;

/**
 * Byte sizes as operators write them in Kubernetes manifests: {@code 16Mi}, {@code 512Ki},
 * {@code 1Gi}, or plain bytes. {@code bin/passport} parses the same forms (it derives {@code -Xmx}
 * from them), so nothing else is accepted.
 */
public final class ByteSize {

  private static final long KI = 1024;

  private ByteSize() {}

  /**
   * The bytes {@code text} names.
   *
   * @throws IllegalArgumentException naming {@code what} and the accepted forms
   */
  public static long parse(String what, String text) {
    String value = text == null ? "" : text.trim();
    long unit = 1;
    String digits = value;
    String lower = value.toLowerCase(Locale.ROOT);
    if (lower.endsWith("ki")) {
      unit = KI;
    } else if (lower.endsWith("mi")) {
      unit = KI * KI;
    } else if (lower.endsWith("gi")) {
      unit = KI * KI * KI;
    }
    if (unit > 1) {
      digits = value.substring(0, value.length() - 2);
    }
    if (digits.isEmpty() || digits.length() > 12 || !digits.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(what + " is \"" + value + "\"; write a size such as 16Mi,"
          + " 512Ki, 1Gi or a number of bytes");
    }
    long bytes = Long.parseLong(digits) * unit;
    if (bytes < 1) {
      throw new IllegalArgumentException(what + " is " + value + "; it must be at least 1 byte");
    }
    return bytes;
  }

  /** {@code bytes} in the shortest exact form {@link #parse} reads back, e.g. {@code 16Mi}. */
  public static String format(long bytes) {
    if (bytes > 0 && bytes % (KI * KI * KI) == 0) {
      return bytes / (KI * KI * KI) + "Gi";
    }
    if (bytes > 0 && bytes % (KI * KI) == 0) {
      return bytes / (KI * KI) + "Mi";
    }
    if (bytes > 0 && bytes % KI == 0) {
      return bytes / KI + "Ki";
    }
    return Long.toString(bytes);
  }
}
