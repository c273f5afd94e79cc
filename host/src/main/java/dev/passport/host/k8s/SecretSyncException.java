package dev.passport.host.k8s;

import static java.util.Objects.requireNonNull;

/** A Secret sync that did not happen, with what the pod's owner or the operator must change. */
public final class SecretSyncException extends Exception {

  private static final long serialVersionUID = 1L;

  /** What went wrong, for the status code. */
  public enum Kind {
    /** The class asks for something impossible (an object that is not mounted, over 1 MiB, …). */
    INVALID,
    /** The cluster is not set up for it (no token for the API server, a Secret not ours). */
    PRECONDITION,
    /** The API server refused the identity (a missing Role). */
    PERMISSION_DENIED,
    /** The API server did not accept the token. */
    UNAUTHENTICATED,
    /** The API server could not be reached or failed; a retry may succeed. */
    UNAVAILABLE,
    /** The API server did not answer in time. */
    DEADLINE_EXCEEDED
  }

  private final Kind kind;

  public SecretSyncException(Kind kind, String message) {
    super(message);
    this.kind = requireNonNull(kind, "kind is null");
  }

  public Kind kind() {
    return kind;
  }
}
