package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * One file of a volume.
 *
 * <p>{@link #toString()} shows the path, size and mode, never the content.
 */
public final class MaterialFile {

  /** The mode of files whose backend does not choose one: read-only for owner and group. */
  public static final int DEFAULT_MODE = 0440;

  private final String path;
  private final byte[] content;
  private final int mode;

  private MaterialFile(String path, byte[] content, int mode) {
    this.path = requireNonNull(path, "path is null");
    this.content = requireNonNull(content, "content is null").clone();
    if (mode < 0 || mode > 0777) {
      throw new IllegalArgumentException(
          "mode of " + path + " is " + Integer.toOctalString(mode) + ", must be within 0..0777");
    }
    this.mode = mode;
  }

  /** A file with {@link #DEFAULT_MODE}. */
  public static MaterialFile of(String path, byte[] content) {
    return new MaterialFile(path, content, DEFAULT_MODE);
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
    return new MaterialFile(path, content, mode);
  }

  /** A copy with another mode. */
  public MaterialFile withMode(int mode) {
    return new MaterialFile(path, content, mode);
  }

  /** The relative path inside the volume. */
  public String path() {
    return path;
  }

  /** A copy of the content. */
  public byte[] content() {
    return content.clone();
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
