package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One file of a volume, immutable.
 *
 * <p>Its content is copied once, when it is made: the host hashes, validates, caches and writes
 * the very bytes the backend returned, so no later change to the caller's array may reach them
 * (a plugin reusing a read buffer would otherwise change a volume's content after its hash was
 * taken). After that nothing copies it again: {@link #contentBuffer()} is a read-only view, which
 * is what the host reads; {@link #content()} still hands out a copy for callers that want an
 * array of their own. {@link #toString()} shows the path, size and mode, never the content.
 */
public final class MaterialFile {

  /** The mode of files whose backend does not choose one: read-only for owner and group. */
  public static final int DEFAULT_MODE = 0440;

  private final String path;
  private final byte[] content;
  private final int mode;

  /** Takes {@code owned} as is: the factories pass a copy, {@link #withMode} this file's own. */
  private MaterialFile(String path, byte[] owned, int mode) {
    this.path = requireNonNull(path, "path is null");
    this.content = owned;
    if (mode < 0 || mode > 0777) {
      throw new IllegalArgumentException(
          "mode of " + path + " is " + Integer.toOctalString(mode) + ", must be within 0..0777");
    }
    this.mode = mode;
  }

  /** A file with {@link #DEFAULT_MODE}. */
  public static MaterialFile of(String path, byte[] content) {
    return of(path, content, DEFAULT_MODE);
  }

  /**
   * A file.
   *
   * @param path a relative path inside the volume, {@code /}-separated, e.g. {@code tls.crt} or
   *     {@code db/password}; the host rejects absolute paths, {@code ..} and duplicates
   * @param content the bytes; the array is copied
   * @param mode the POSIX permission bits, e.g. {@code 0440}, within {@code 0..0777}
   */
  public static MaterialFile of(String path, byte[] content, int mode) {
    return new MaterialFile(path, requireNonNull(content, "content is null").clone(), mode);
  }

  /** A copy with another mode; it shares the (immutable) content instead of copying it. */
  public MaterialFile withMode(int mode) {
    return new MaterialFile(path, content, mode);
  }

  /** The relative path inside the volume. */
  public String path() {
    return path;
  }

  /**
   * A copy of the content. Prefer {@link #contentBuffer()} where a view will do: a volume's
   * content can be megabytes, and every copy of it is heap the host has to budget for.
   */
  public byte[] content() {
    return content.clone();
  }

  /**
   * A read-only view of the content, without copying it: position 0, limit {@link #size()}. Each
   * call returns a new view, so readers do not share a position.
   */
  public ByteBuffer contentBuffer() {
    return ByteBuffer.wrap(content).asReadOnlyBuffer();
  }

  /** The POSIX permission bits. */
  public int mode() {
    return mode;
  }

  /** The content's size in bytes, without copying it. */
  public int size() {
    return content.length;
  }

  /** Compares path, mode and content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof MaterialFile other
        && path.equals(other.path)
        && mode == other.mode
        && Arrays.equals(content, other.content);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * path.hashCode() + mode) + Arrays.hashCode(content);
  }

  /** Path, size and mode; the content is secret. */
  @Override
  public String toString() {
    return "MaterialFile[path=" + path + ", size=" + content.length + ", mode=0"
        + Integer.toOctalString(mode) + "]";
  }
}
