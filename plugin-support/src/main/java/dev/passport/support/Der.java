package dev.passport.support;

import java.io.ByteArrayOutputStream;

/**
 * Writes DER (X.690) the few ways key encodings need: one tag-length-value, definite length.
 * Plugins and the host re-encode keys into the layouts the incumbents write (PKCS#1, SEC 1, Go's
 * PKCS#8) with it rather than each with a private copy.
 */
public final class Der {

  private Der() {}

  /**
   * {@code tag}, the length of {@code content} (short form below 128, else long form in up to
   * three bytes), then {@code content}.
   *
   * @throws IllegalArgumentException when {@code content} is 16 MiB or more: no key is
   */
  public static byte[] tagged(int tag, byte[] content) {
    int length = content.length;
    if (length >= 0x1000000) {
      throw new IllegalArgumentException("a DER value of " + length + " bytes is not a key");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + 5);
    out.write(tag);
    if (length < 0x80) {
      out.write(length);
    } else if (length < 0x100) {
      out.write(0x81);
      out.write(length);
    } else if (length < 0x10000) {
      out.write(0x82);
      out.write(length >> 8);
      out.write(length);
    } else {
      out.write(0x83);
      out.write(length >> 16);
      out.write(length >> 8);
      out.write(length);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  /** The parts one after another. */
  public static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
