package dev.passport.host.memory;

import dev.passport.api.BackendException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host's budget for material in flight (issue 13): a semaphore on bytes shared by every
 * concurrent fetch and write, so that the worst case of limits × concurrency fits the heap
 * ({@link HeapFormula}). Each fetch draws on it through its own {@link FetchBudget} as the plugin
 * reads off the wire, and gives everything back once its material is written or the fetch failed.
 *
 * <p>Taking never blocks: a fetch that would pass the budget fails at once with a retryable
 * RESOURCE_EXHAUSTED (kubelet calls again), so no fetch holds part of the budget while it waits for
 * the rest, and fetches cannot deadlock on each other.
 */
public final class MaterialBudget {

  private final long capacity;
  private final AtomicLong available;

  private MaterialBudget(long capacity) {
    this.capacity = capacity;
    this.available = new AtomicLong(capacity);
  }

  /** A budget of {@code bytes} bytes in flight. */
  public static MaterialBudget of(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("the budget for material in flight is " + bytes
          + " bytes, must be at least 1");
    }
    return new MaterialBudget(bytes);
  }

  /** The most bytes in flight at once. */
  public long capacity() {
    return capacity;
  }

  /** The bytes not in use now; equals {@link #capacity()} when nothing is in flight. */
  public long available() {
    return available.get();
  }

  /**
   * A budget for one fetch or read-back of at most {@code limit} bytes (the per-volume limit) that
   * draws on this one. Close it when its material has been written or dropped.
   */
  public FetchBudget open(long limit) {
    return new FetchBudget(this, limit);
  }

  /** Takes {@code bytes} if they are available now; never waits. */
  boolean tryTake(long bytes) {
    long now;
    do {
      now = available.get();
      if (now < bytes) {
        return false;
      }
    } while (!available.compareAndSet(now, now - bytes));
    return true;
  }

  void give(long bytes) {
    long after = available.addAndGet(bytes);
    if (after > capacity) {
      // A release of more than was taken is a bug in this package; never let it grow the budget.
      available.addAndGet(-bytes);
      throw new IllegalStateException("released " + bytes + " bytes that were never taken");
    }
  }

  /** The error of a fetch that found the budget in use. */
  BackendException inUse() {
    return new BackendException(BackendException.Kind.RESOURCE_EXHAUSTED,
        "the driver's budget for material in flight (" + capacity + " bytes) is in use;"
            + " kubelet will retry");
  }

  @Override
  public String toString() {
    return "MaterialBudget[capacity=" + capacity + ", available=" + available.get() + "]";
  }
}
