package dev.passport.host.publish;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;

/**
 * A publish or unpublish that cannot succeed, with the code kubelet should see. The message is
 * shown in a pod event: it says what is wrong and how to fix it, and never holds a token.
 */
public final class PublishException extends Exception {

  private static final long serialVersionUID = 1L;

  /**
   * The outcome codes of the publish path. The csi layer maps each to the gRPC status of the same
   * name. kubelet treats UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED and RESOURCE_EXHAUSTED as
   * not final (it retries and keeps the mount); every other code is final.
   */
  public enum Code {
    INVALID_ARGUMENT,
    UNAUTHENTICATED,
    PERMISSION_DENIED,
    NOT_FOUND,
    FAILED_PRECONDITION,
    ABORTED,
    RESOURCE_EXHAUSTED,
    UNAVAILABLE,
    DEADLINE_EXCEEDED,
    INTERNAL
  }

  private final Code code;

  public PublishException(Code code, String message) {
    super(message);
    this.code = requireNonNull(code, "code is null");
  }

  public PublishException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = requireNonNull(code, "code is null");
  }

  public Code code() {
    return code;
  }

  /** The code for a backend failure of {@code kind}. */
  public static Code codeOf(BackendException.Kind kind) {
    return switch (kind) {
      case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
      case UNAUTHENTICATED -> Code.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Code.PERMISSION_DENIED;
      case NOT_FOUND -> Code.NOT_FOUND;
      case FAILED_PRECONDITION -> Code.FAILED_PRECONDITION;
      case UNAVAILABLE -> Code.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> Code.DEADLINE_EXCEEDED;
      case RESOURCE_EXHAUSTED -> Code.RESOURCE_EXHAUSTED;
      // Kinds added to the plugin API later: a failure the host does not know how to explain.
      default -> Code.INTERNAL;
    };
  }

  /** A backend's failure as the publish path reports it: the code of its kind, the backend named. */
  public static PublishException fromBackend(String backend, BackendException e) {
    return new PublishException(codeOf(e.kind()), "backend " + backend + ": " + e.getMessage(), e);
  }

  public static PublishException invalid(String message) {
    return new PublishException(Code.INVALID_ARGUMENT, message);
  }
}
