package dev.passport.host.memory;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;

/**
 * The {@link ByteBudget} of one fetch: at most {@link #limit()} bytes (the per-volume limit), every
 * charge also taken from the host's {@link MaterialBudget} without waiting. {@link #close()} gives
 * back all it took; a charge after that fails, so a plugin still reading for a fetch the host gave
 * up on (its deadline passed) stops at its next charge instead of drawing on the budget again.
 */
public final class FetchBudget implements ByteBudget, AutoCloseable {

  private final MaterialBudget host;
  private final long limit;
  private long charged;
  private boolean closed;

  FetchBudget(MaterialBudget host, long limit) {
    this.host = requireNonNull(host, "host is null");
    if (limit < 0) {
      throw new IllegalArgumentException("limit is " + limit + ", must not be negative");
    }
    this.limit = limit;
  }

  @Override
  public long limit() {
    return limit;
  }

  @Override
  public synchronized void charge(long bytes) throws BackendException {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes is " + bytes + ", must not be negative");
    }
    if (closed) {
      throw new BackendException(BackendException.Kind.RESOURCE_EXHAUSTED,
          "the driver gave up on this fetch and released its budget for material in flight");
    }
    if (bytes == 0) {
      return;
    }
    if (bytes > limit - charged) {
      throw ByteBudget.exceeded(limit);
    }
    if (!host.tryTake(bytes)) {
      throw host.inUse();
    }
    charged += bytes;
  }

  /**
   * Charges what is missing for {@code total} bytes in all: material a plugin returned without
   * charging what it read is accounted for before the host holds it any longer.
   */
  public synchronized void chargeUpTo(long total) throws BackendException {
    if (total > charged) {
      charge(total - charged);
    }
  }

  /** The bytes charged so far (and taken from the host's budget until {@link #close()}). */
  public synchronized long charged() {
    return charged;
  }

  /** Gives back everything this fetch took; later calls do nothing. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      host.give(charged);
    }
  }

  @Override
  public synchronized String toString() {
    return "FetchBudget[limit=" + limit + ", charged=" + charged + (closed ? ", closed" : "") + "]";
  }
}
