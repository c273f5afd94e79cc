package dev.passport.host.template;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Where a template renders to: it counts the UTF-8 bytes of what it is given and refuses the
 * first character past its limit, so a template that repeats a value or iterates a list cannot
 * make the host hold more than the volume may hold. Every {@link #CHUNK} bytes are charged to the
 * fetch's budget (the host's budget for material in flight) before they are kept.
 */
final class BoundedOutput extends Writer {
  static final int CHUNK = 64 * 1024;

  private final StringBuilder text = new StringBuilder();
  private final long limit;
  private final String limitText;
  private final ByteBudget budget;
  private long bytes;
  private long charged;

  /**
   * @param limit the most UTF-8 bytes this output may hold
   * @param limitText says in an error what the limit is and where it comes from
   * @param budget charged as the output grows; null for a capture that is charged when written on
   */
  BoundedOutput(long limit, String limitText, ByteBudget budget) {
    this.limit = limit;
    this.limitText = limitText;
    this.budget = budget;
  }

  @Override
  public void write(char[] chars, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      count(chars[i]);
    }
    text.append(chars, offset, length);
  }

  @Override
  public void write(String s, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      count(s.charAt(i));
    }
    text.append(s, offset, offset + length);
  }

  @Override
  public void write(int c) {
    count((char) c);
    text.append((char) c);
  }

  @Override
  public Writer append(CharSequence csq) {
    // toString() is where a map, list or helper used as a value is refused (Formatting.NotAValue)
    String s = String.valueOf(csq);
    write(s, 0, s.length());
    return this;
  }

  @Override
  public Writer append(CharSequence csq, int start, int end) {
    String s = String.valueOf(csq);
    write(s, start, end - start);
    return this;
  }

  private void count(char c) {
    // UTF-8: a surrogate pair is 4 bytes, 2 for each half
    bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
    if (bytes > limit) {
      throw new RenderFailure("it renders more than " + limit + " bytes (" + limitText + ")");
    }
    if (budget != null && bytes - charged >= CHUNK) {
      charge(bytes - charged);
    }
  }

  private void charge(long amount) {
    try {
      budget.charge(amount);
      charged += amount;
    } catch (BackendException e) {
      throw new RenderFailure("the driver's memory for material in flight is in use ("
          + e.getMessage() + "); kubelet will retry", true);
    }
  }

  /** What was written so far, as text (for a helper that escapes it). */
  String text() {
    return text.toString();
  }

  /** The bytes that remain before the limit. */
  long remaining() {
    return limit - bytes;
  }

  /** The output as UTF-8, its last bytes charged. */
  byte[] utf8() {
    if (budget != null && bytes > charged) {
      charge(bytes - charged);
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
