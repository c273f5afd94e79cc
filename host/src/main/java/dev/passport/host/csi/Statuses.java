package dev.passport.host.csi;

import dev.passport.host.publish.PublishException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Turns publish outcomes into gRPC statuses: never a raw exception, so kubelet never sees UNKNOWN. */
final class Statuses {

  private Statuses() {}

  static StatusRuntimeException of(PublishException e) {
    Status status = switch (e.code()) {
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
      case NOT_FOUND -> Status.NOT_FOUND;
      case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
      case ABORTED -> Status.ABORTED;
      case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> Status.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
      case INTERNAL -> Status.INTERNAL;
    };
    // The description only: causes stay in the process (they may carry library detail).
    return status.withDescription(e.getMessage()).asRuntimeException();
  }

  static StatusRuntimeException unexpected(RuntimeException e) {
    return Status.INTERNAL
        .withDescription("unexpected " + e.getClass().getSimpleName() + "; see the driver's log")
        .asRuntimeException();
  }
}
