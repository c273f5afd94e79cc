package dev.passport.host.volume;

/**
 * The files a backend returned break a rule of {@link MaterialLimits}. The message names the path
 * and the rule; it never contains file content.
 */
public final class InvalidMaterialException extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean overLimit;

  /** A broken path rule (or no files at all). */
  public InvalidMaterialException(String message) {
    this(message, false);
  }

  InvalidMaterialException(String message, boolean overLimit) {
    super(message);
    this.overLimit = overLimit;
  }

  /**
   * Whether a size or count limit was passed (per file, per volume, file count): the volume asks
   * for more than the driver allows, which kubelet sees as RESOURCE_EXHAUSTED, not as a bug.
   */
  public boolean overLimit() {
    return overLimit;
  }
}
