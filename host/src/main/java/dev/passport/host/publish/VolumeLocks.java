package dev.passport.host.publish;

import dev.passport.host.publish.PublishException;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One operation per volume at a time. kubelet expects a second call for a volume whose first is
 * still running to fail fast with ABORTED ("operation pending"), and retries it later.
 */
final class VolumeLocks {

  private final ConcurrentMap<String, Thread> holders = new ConcurrentHashMap<>();

  /** Runs {@code action} holding the volume's lock, or fails with ABORTED if another call holds it. */
  <T> T withLock(String volumeId, LockedAction<T> action) throws PublishException {
    Thread current = Thread.currentThread();
    if (holders.putIfAbsent(volumeId, current) != null) {
      throw new PublishException(PublishException.Code.ABORTED,
          "an operation for volume " + volumeId + " is already in progress; kubelet will retry");
    }
    try {
      return action.run();
    } finally {
      holders.remove(volumeId, current);
    }
  }

  @FunctionalInterface
  interface LockedAction<T> {
    T run() throws PublishException;
  }
}
