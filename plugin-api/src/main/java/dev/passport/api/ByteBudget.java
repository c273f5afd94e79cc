package dev.passport.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes one fetch may read from its backend, charged as the bytes arrive, so that an
 * oversized answer is refused before it is held in memory whole.
 *
 * <p>The host gives every fetch its own budget ({@link FetchRequest#budget()}): its {@link #limit()}
 * is the volume's size limit, and every charge also draws on the host's budget for material in
 * flight across all concurrent fetches, which the host releases when the fetch's material has been
 * written. A plugin charges what it reads off the wire (response bodies, gRPC messages), not what
 * it derives from it; {@code dev.passport.support.BoundedReads} does so for the JDK's HTTP client
 * and for input streams.
 */
public interface ByteBudget {

  /** The most bytes this fetch may charge in all. */
  long limit();

  /**
   * Charges {@code bytes} more read bytes.
   *
   * @throws BackendException of kind {@link BackendException.Kind#RESOURCE_EXHAUSTED} naming the
   *     limit when this fetch would pass {@link #limit()}, or when the host's budget for material
   *     in flight is spent (retryable: kubelet calls again)
   * @throws IllegalArgumentException if {@code bytes} is negative
   */
  void charge(long bytes) throws BackendException;

  /** A budget of {@code limit} bytes for one fetch, with no host-wide budget behind it (tests, tools). */
  static ByteBudget limitedTo(long limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit is " + limit + ", must not be negative");
    }
    AtomicLong charged = new AtomicLong();
    return new ByteBudget() {
      @Override
      public long limit() {
        return limit;
      }

      @Override
      public void charge(long bytes) throws BackendException {
        if (bytes < 0) {
          throw new IllegalArgumentException("bytes is " + bytes + ", must not be negative");
        }
        long total = charged.accumulateAndGet(bytes, ByteBudget::saturatedAdd);
        if (total > limit) {
          throw exceeded(limit);
        }
      }

      @Override
      public String toString() {
        return "ByteBudget[limit=" + limit + ", charged=" + charged.get() + "]";
      }
    };
  }

  /** No limit: for plugins' unit tests and requests built without one. */
  static ByteBudget unlimited() {
    return limitedTo(Long.MAX_VALUE);
  }

  /** The error of a fetch that read more than {@code limit} bytes. */
  static BackendException exceeded(long limit) {
    return new BackendException(BackendException.Kind.RESOURCE_EXHAUSTED,
        "the backend's answer is larger than the limit of " + limit + " bytes per volume;"
            + " store less in this volume or split it into several volumes");
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
