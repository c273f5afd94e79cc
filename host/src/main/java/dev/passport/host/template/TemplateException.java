package dev.passport.host.template;

/**
 * A volume's templates cannot be parsed, compiled or rendered. The message names the template
 * (its {@code fileName}) and, for a reference, the reference as the template wrote it; it never
 * holds file content, which is secret.
 */
public final class TemplateException extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  TemplateException(String message) {
    this(message, false);
  }

  TemplateException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  /**
   * Whether the failure is the host's, not the template's: the host's budget for material in
   * flight was in use (RESOURCE_EXHAUSTED, kubelet retries). Every other failure is the pod
   * spec's (INVALID_ARGUMENT on a first publish).
   */
  public boolean retryable() {
    return retryable;
  }
}
