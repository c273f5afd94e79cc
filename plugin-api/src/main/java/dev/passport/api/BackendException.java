package dev.passport.api;

import static java.util.Objects.requireNonNull;

/**
 * The one exception a backend throws. Its {@link Kind} tells the host which gRPC status to answer
 * kubelet with; its message is shown to the user in a pod event, so it should say what to fix.
 *
 * <p>A message must never contain a token or secret content.
 */
public class BackendException extends Exception {

  private static final long serialVersionUID = 1L;

  /**
   * What went wrong, in terms the host maps to gRPC status codes of the same name.
   *
   * <p>New kinds may be added in a minor version of the plugin API; code that switches over kinds
   * needs a default branch.
   */
  public enum Kind {
    /** A volume attribute or configuration value is wrong. Final: kubelet shows it and stops. */
    INVALID_ARGUMENT,
    /** The backend did not accept the pod's token, or the token is missing. */
    UNAUTHENTICATED,
    /** The backend knows the pod but denies it the material. */
    PERMISSION_DENIED,
    /** The named secret, path or resource does not exist. */
    NOT_FOUND,
    /** The backend refused the request as it stands, e.g. a certificate request that failed. */
    FAILED_PRECONDITION,
    /** The backend could not be reached or answered with a server error; retrying may help. */
    UNAVAILABLE,
    /** The backend did not answer before the deadline; retrying may help. */
    DEADLINE_EXCEEDED,
    /**
     * A quota or rate limit was hit (HTTP 429, gRPC RESOURCE_EXHAUSTED), or an answer exceeded a
     * size limit; retrying later may help.
     */
    RESOURCE_EXHAUSTED,
    /** A bug or an unexpected answer, such as corrupt data. */
    INTERNAL
  }

  private final Kind kind;

  /** An exception of {@code kind} with a message for the user. */
  public BackendException(Kind kind, String message) {
    super(message);
    this.kind = requireNonNull(kind, "kind is null");
  }

  /** An exception of {@code kind} with a message for the user and the underlying cause. */
  public BackendException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = requireNonNull(kind, "kind is null");
  }

  /** A {@link Kind#INVALID_ARGUMENT} exception: the message names the value and the rule. */
  public static BackendException invalid(String message) {
    return new BackendException(Kind.INVALID_ARGUMENT, message);
  }

  /** What went wrong. */
  public Kind kind() {
    return kind;
  }

  /** {@code true} when retrying later may succeed (unavailable, deadline exceeded, exhausted). */
  public boolean isRetryable() {
    return kind == Kind.UNAVAILABLE || kind == Kind.DEADLINE_EXCEEDED
        || kind == Kind.RESOURCE_EXHAUSTED;
  }
}
