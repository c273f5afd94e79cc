package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * What one fetch may read from the API server: the fetch's {@link ByteBudget}, charged for every
 * response body and watch message as it arrives (see {@link CappedHttpClient}), so that a
 * CertificateRequest whose {@code status.certificate} an issuer (possibly a namespace user's own
 * controller) made larger than the volume limit ends the read instead of being buffered whole.
 *
 * <p>It remembers the first refusal, because the refusal does not always reach the caller inside
 * the error: fabric8 reconnects a watch that the budget cut (and it is cut again) without telling
 * its watcher; and over HTTP/2, cancelling a body the budget refused before its first byte
 * (a {@code Content-Length} past the limit) can fail the exchange with the JDK's own
 * {@code IOException: Stream N cancelled} before the budget's error arrives.
 */
final class ReadCap implements ByteBudget {

  private final ByteBudget budget;
  private final CompletableFuture<BackendException> refused = new CompletableFuture<>();

  ReadCap(ByteBudget budget) {
    this.budget = budget;
  }

  @Override
  public long limit() {
    return budget.limit();
  }

  @Override
  public void charge(long bytes) throws BackendException {
    try {
      budget.charge(bytes);
    } catch (BackendException e) {
      refused(e);
      throw e;
    }
  }

  /** Records a refusal made without a charge (a {@code Content-Length} past the limit). */
  void refused(BackendException failure) {
    refused.complete(failure);
  }

  /** The first refusal, if a read was refused. */
  Optional<BackendException> refusal() {
    return Optional.ofNullable(refused.getNow(null));
  }

  /** Runs {@code action} with the first refusal once a read is refused (at once if one was). */
  void onRefusal(Consumer<BackendException> action) {
    refused.thenAccept(action);
  }

  @Override
  public String toString() {
    return "ReadCap[" + budget + "]";
  }
}
