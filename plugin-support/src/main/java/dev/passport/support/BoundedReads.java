package dev.passport.support;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads that charge a fetch's {@link ByteBudget} as bytes arrive, so that an answer past the
 * volume's limit ends the read (and the connection) instead of being buffered whole.
 *
 * <p>A refused read fails with {@link BudgetExceededException}; {@link #budgetFailure} finds it in
 * whatever a client library wrapped it in, and the plugin throws its {@link BackendException}.
 */
public final class BoundedReads {

  private BoundedReads() {}

  /**
   * The JDK HTTP client's body handler, charging {@code budget} for every body byte. A
   * {@code Content-Length} above the budget's limit is refused before a byte is read.
   */
  public static <T> HttpResponse.BodyHandler<T> budgeted(HttpResponse.BodyHandler<T> handler,
      ByteBudget budget) {
    requireNonNull(handler, "handler is null");
    requireNonNull(budget, "budget is null");
    return info -> {
      HttpResponse.BodySubscriber<T> downstream = handler.apply(info);
      OptionalLong length = info.headers().firstValueAsLong("Content-Length");
      BackendException early = length.isPresent() && length.getAsLong() > budget.limit()
          ? ByteBudget.exceeded(budget.limit()) : null;
      return new BudgetedSubscriber<>(downstream, budget, early);
    };
  }

  /** {@code in}, charging {@code budget} for every byte read; closing it closes {@code in}. */
  public static InputStream budgeted(InputStream in, ByteBudget budget) {
    return new BudgetedInputStream(requireNonNull(in, "in is null"),
        requireNonNull(budget, "budget is null"));
  }

  /**
   * Charges {@code bytes} read by a client that cannot be wrapped (e.g. a gRPC message whose size
   * the channel already capped), as an {@link IOException} for code that handles I/O failures.
   */
  public static void charge(ByteBudget budget, long bytes) throws BudgetExceededException {
    try {
      budget.charge(bytes);
    } catch (BackendException e) {
      throw new BudgetExceededException(e);
    }
  }

  /** The budget's refusal in {@code failure}'s cause chain, if a budgeted read ended it. */
  public static Optional<BackendException> budgetFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BudgetExceededException exceeded) {
        return Optional.of(exceeded.failure());
      }
      for (Throwable suppressed : t.getSuppressed()) {
        if (suppressed instanceof BudgetExceededException exceeded) {
          return Optional.of(exceeded.failure());
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
  }

  /** Forwards to the handler's subscriber until the budget refuses, then cancels the body. */
  private static final class BudgetedSubscriber<T> implements HttpResponse.BodySubscriber<T> {
    private final HttpResponse.BodySubscriber<T> downstream;
    private final ByteBudget budget;
    private BackendException refused;
    private Flow.Subscription subscription;

    BudgetedSubscriber(HttpResponse.BodySubscriber<T> downstream, ByteBudget budget,
        BackendException early) {
      this.downstream = downstream;
      this.budget = budget;
      this.refused = early;
    }

    @Override
    public CompletionStage<T> getBody() {
      return downstream.getBody();
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      downstream.onSubscribe(subscription);
      if (refused != null) {
        // the refusal first: cancelling makes the JDK fail an HTTP/2 exchange with its own
        // "stream cancelled", and whichever completes the body first is what the caller sees
        downstream.onError(new BudgetExceededException(refused));
        subscription.cancel();
      }
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (refused != null) {
        return;
      }
      long bytes = 0;
      for (ByteBuffer item : items) {
        bytes += item.remaining();
      }
      try {
        budget.charge(bytes);
      } catch (BackendException e) {
        refused = e;
        downstream.onError(new BudgetExceededException(e));
        subscription.cancel();
        return;
      }
      downstream.onNext(items);
    }

    @Override
    public void onError(Throwable throwable) {
      if (refused == null) {
        downstream.onError(throwable);
      }
    }

    @Override
    public void onComplete() {
      if (refused == null) {
        downstream.onComplete();
      }
    }
  }

  private static final class BudgetedInputStream extends FilterInputStream {
    private final ByteBudget budget;

    BudgetedInputStream(InputStream in, ByteBudget budget) {
      super(in);
      this.budget = budget;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        charge(budget, 1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = in.read(buffer, offset, length);
      if (n > 0) {
        charge(budget, n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(n);
      if (skipped > 0) {
        charge(budget, skipped);
      }
      return skipped;
    }
  }
}
