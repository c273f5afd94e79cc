package dev.passport.conformance;

import static java.util.Objects.requireNonNull;

/**
 * A CSI call the host refused, as kubelet sees it: the gRPC status code and its description.
 *
 * <p>{@link FakeKubelet} throws it instead of gRPC's own exception, so that a plugin's tests need
 * no gRPC of the host's version (the host inside this module runs on a relocated copy).
 */
public final class CsiCallException extends RuntimeException {

  /** The gRPC status codes, by the names gRPC gives them (the same as {@code io.grpc.Status.Code}). */
  public enum Code {
    OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS,
    PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE,
    UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED
  }

  private final Code code;
  private final String description;

  /** The message reads as gRPC's own: {@code CODE: description}. */
  CsiCallException(Code code, String description, Throwable cause) {
    super(code + (description != null ? ": " + description : ""), cause);
    this.code = requireNonNull(code, "code is null");
    this.description = description;
  }

  /** The status code the host answered (or DEADLINE_EXCEEDED when the call timed out here). */
  public Code code() {
    return code;
  }

  /** The status description, {@code null} when the host sent none. */
  public String description() {
    return description;
  }
}
