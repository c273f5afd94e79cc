package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.OptionalInt;

/**
 * One file of a volume, immutable.
 *
 * <p>Its content is copied once, when it is made: the host hashes, validates, caches and writes
 * the very bytes the backend returned, so no later change to the caller's array may reach them
 * (a plugin reusing a read buffer would otherwise change a volume's content after its hash was
 * taken). After that nothing copies it again: {@link #contentBuffer()} is a read-only view, which
 * is what the host reads; {@link #content()} still hands out a copy for callers that want an
 * array of their own. {@link #toString()} shows the path, size and mode, never the content.
 *
 * <p>A file made without a mode ({@link #of(String, byte[])}) leaves the mode to the host: the
 * operator's {@code --default-file-mode}, {@link #DEFAULT_MODE} unless set. Choose a mode only
 * where the backend's own contract names one (a per-file {@code mode} attribute, a key file that
 * must not be world-readable); otherwise pods and operators get what they expect from kubelet's
 * own secret volumes.
 */
public final class MaterialFile {

  /**
   * The mode the host gives a file whose backend chooses none, unless the operator sets
   * {@code --default-file-mode}: {@code 0644}, as kubelet's secret volumes and
   * secrets-store-csi-driver write (since plugin API 1.2; it was {@code 0440} before).
   */
  public static final int DEFAULT_MODE = 0644;

  /** No mode chosen: the host's default applies. */
  private static final int UNCHOSEN = -1;

  private final String path;
  private final byte[] content;
  private final int mode;

  /** Takes {@code owned} as is: the factories pass a copy, {@link #withMode} this file's own. */
  private MaterialFile(String path, byte[] owned, int mode) {
    this.path = requireNonNull(path, "path is null");
    this.content = owned;
    this.mode = mode;
  }

  private static int checked(String path, int mode) {
    if (mode < 0 || mode > 0777) {
      throw new IllegalArgumentException("mode of " + path + " is " + Integer.toOctalString(mode)
          + ", must be within 0..0777");
    }
    return mode;
  }

  /**
   * A file whose mode the host chooses: the operator's {@code --default-file-mode}, else
   * {@link #DEFAULT_MODE}.
   */
  public static MaterialFile of(String path, byte[] content) {
    return new MaterialFile(path, requireNonNull(content, "content is null").clone(), UNCHOSEN);
  }

  /**
   * A file.
   *
   * @param path a relative path inside the volume, {@code /}-separated, e.g. {@code tls.crt} or
   *     {@code db/password}; the host rejects absolute paths, {@code ..} and duplicates
   * @param content the bytes; the array is copied
   * @param mode the POSIX permission bits, e.g. {@code 0440}, within {@code 0..0777}; it wins over
   *     the host's default
   */
  public static MaterialFile of(String path, byte[] content, int mode) {
    return new MaterialFile(path, requireNonNull(content, "content is null").clone(),
        checked(path, mode));
  }

  /** A copy with another mode; it shares the (immutable) content instead of copying it. */
  public MaterialFile withMode(int mode) {
    return new MaterialFile(path, content, checked(path, mode));
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

  /**
   * The POSIX permission bits: the chosen mode, or {@link #DEFAULT_MODE} when none was chosen (the
   * host writes its operator's default then; see {@link #chosenMode()}).
   */
  public int mode() {
    return mode == UNCHOSEN ? DEFAULT_MODE : mode;
  }

  /** The mode the backend chose; empty when the host's default applies. */
  public OptionalInt chosenMode() {
    return mode == UNCHOSEN ? OptionalInt.empty() : OptionalInt.of(mode);
  }

  /** The content's size in bytes, without copying it. */
  public int size() {
    return content.length;
  }

  /** Compares path, chosen mode (or none) and content. */
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
    return "MaterialFile[path=" + path + ", size=" + content.length + ", mode="
        + (mode == UNCHOSEN ? "default" : "0" + Integer.toOctalString(mode)) + "]";
  }
}
