package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;

/**
 * One file of a volume.
 *
 * <p>{@link #toString()} shows the path, size and mode, never the content.
 *
 * @param path a relative path inside the volume, {@code /}-separated, e.g. {@code tls.crt} or
 *     {@code db/password}; the host rejects absolute paths, {@code ..} and duplicates
 * @param content the bytes; the array is copied in and must not be modified by the caller later
 * @param mode the POSIX permission bits, e.g. {@code 0440}
 */
public record MaterialFile(String path, byte[] content, int mode) {

  /** The mode of files whose backend does not choose one: read-only for owner and group. */
  public static final int DEFAULT_MODE = 0440;

  /** Checks presence and the mode range, and copies the content. */
  public MaterialFile {
    requireNonNull(path, "path is null");
    content = requireNonNull(content, "content is null").clone();
    if (mode < 0 || mode > 0777) {
      throw new IllegalArgumentException(
          "mode of " + path + " is " + Integer.toOctalString(mode) + ", must be within 0..0777");
    }
  }

  /** A file with {@link #DEFAULT_MODE}. */
  public static MaterialFile of(String path, byte[] content) {
    return new MaterialFile(path, content, DEFAULT_MODE);
  }

  /** A copy of the content. */
  @Override
  public byte[] content() {
    return content.clone();
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
