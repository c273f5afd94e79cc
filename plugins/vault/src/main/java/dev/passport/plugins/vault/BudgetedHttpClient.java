package dev.passport.plugins.vault;

import dev.passport.api.ByteBudget;
import dev.passport.support.BoundedReads;
import dev.passport.support.ForwardingHttpClient;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP client vault-java-driver is given: every response body it reads is charged to the byte
 * budget of the Vault call in progress on the calling thread ({@link #within}), so that an
 * oversized answer ends the read (and the connection) instead of being buffered whole (issue 13:
 * a 150 MB login answer exhausted the heap).
 *
 * <p>The client is shared by every fetch with the same TLS settings, so the budget cannot be a
 * field: it is scoped to the call. The driver sends synchronously on the caller's thread
 * ({@code Rest.send}: {@code client.send(request, BodyHandlers.ofString())}), which is what makes
 * the thread-local scope sound. A send outside any scope is refused: a driver path this plugin
 * did not bound fails instead of reading unbounded.
 */
final class BudgetedHttpClient extends ForwardingHttpClient {

  private final ThreadLocal<ByteBudget> current = new ThreadLocal<>();

  BudgetedHttpClient(HttpClient delegate) {
    super(delegate);
  }

  /** A driver call whose HTTP answers are charged to one budget. */
  @FunctionalInterface
  interface Call<T, E extends Exception> {
    T run() throws E;
  }

  /** Runs {@code call} with every body this client reads on this thread charged to {@code budget}. */
  <T, E extends Exception> T within(ByteBudget budget, Call<T, E> call) throws E {
    ByteBudget outer = current.get();
    current.set(budget);
    try {
      return call.run();
    } finally {
      if (outer == null) {
        current.remove();
      } else {
        current.set(outer);
      }
    }
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    return delegate.send(request, budgeted(handler));
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler) {
    try {
      return delegate.sendAsync(request, budgeted(handler));
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
    // HTTP/1.1 only (see VaultClient): there are no pushed responses to bound
    try {
      return delegate.sendAsync(request, budgeted(handler), pushPromiseHandler);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private <T> HttpResponse.BodyHandler<T> budgeted(HttpResponse.BodyHandler<T> handler)
      throws IOException {
    ByteBudget budget = current.get();
    if (budget == null) {
      throw new IOException("a Vault call outside a byte budget was refused (a bug in the vault"
          + " plugin: every driver call must run within VaultClient's budget)");
    }
    return BoundedReads.budgeted(handler, budget);
  }
}
