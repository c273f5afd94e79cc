package dev.passport.host.k8s;

/**
 * A SecretProviderClass that cannot be used now: either the cache has not synced yet
 * ({@link #retryable()}: kubelet retries) or the object is malformed or too large (fix the object).
 */
public final class SecretProviderClassException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  SecretProviderClassException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  /** Whether the same call may succeed later without anyone changing anything. */
  public boolean retryable() {
    return retryable;
  }
}
