package dev.passport.host.volume;

/**
 * The files a backend returned break a rule of {@link MaterialLimits}. The message names the path
 * and the rule; it never contains file content.
 */
public final class InvalidMaterialException extends Exception {
  private static final long serialVersionUID = 1L;

  public InvalidMaterialException(String message) {
    super(message);
  }
}
