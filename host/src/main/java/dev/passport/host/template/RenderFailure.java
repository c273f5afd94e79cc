package dev.passport.host.template;

/**
 * Carries a render failure out of jmustache, which wraps what its fetchers, lambdas and writer
 * throw in MustacheExceptions; {@link VolumeTemplates} finds it in the cause chain.
 */
final class RenderFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  RenderFailure(String message) {
    this(message, false);
  }

  RenderFailure(String message, boolean retryable) {
    super(message, null, false, false);
    this.retryable = retryable;
  }

  boolean retryable() {
    return retryable;
  }

  /** The render failure in {@code e}'s cause chain, if any. */
  static RenderFailure in(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RenderFailure failure) {
        return failure;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }
}
