package dev.passport.plugins.aws;

import dev.passport.api.ByteBudget;
import dev.passport.support.BoundedReads;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;

/**
 * The SDK's HTTP client with every answer's body capped at {@code maxResponseBytes} and charged to
 * the current fetch's {@link ByteBudget}: the SDK buffers a whole JSON or XML answer before it
 * parses it, so an endpoint answering without end would otherwise fill the heap. The SDK runs a
 * synchronous call on the caller's thread, so the fetch's budget travels in a thread local.
 */
final class BoundedHttpClient implements SdkHttpClient {

  private static final ThreadLocal<ByteBudget> BUDGET = new ThreadLocal<>();

  private final SdkHttpClient delegate;
  private final long maxResponseBytes;

  BoundedHttpClient(SdkHttpClient delegate, long maxResponseBytes) {
    this.delegate = delegate;
    this.maxResponseBytes = maxResponseBytes;
  }

  /** Runs {@code call} with its reads charged to {@code budget}. */
  static <T, E extends Exception> T charging(ByteBudget budget, Call<T, E> call) throws E {
    ByteBudget before = BUDGET.get();
    BUDGET.set(budget);
    try {
      return call.run();
    } finally {
      if (before == null) {
        BUDGET.remove();
      } else {
        BUDGET.set(before);
      }
    }
  }

  interface Call<T, E extends Exception> {
    T run() throws E;
  }

  @Override
  public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
    ExecutableHttpRequest inner = delegate.prepareRequest(request);
    ByteBudget budget = BUDGET.get();
    return new ExecutableHttpRequest() {
      @Override
      public HttpExecuteResponse call() throws IOException {
        HttpExecuteResponse response = inner.call();
        Optional<AbortableInputStream> body = response.responseBody();
        if (body.isEmpty()) {
          return response;
        }
        AbortableInputStream original = body.get();
        InputStream limited = BoundedReads.budgeted(original, perAnswer());
        if (budget != null) {
          limited = BoundedReads.budgeted(limited, budget);
        }
        return HttpExecuteResponse.builder()
            .response(response.httpResponse())
            .responseBody(AbortableInputStream.create(limited, original::abort))
            .build();
      }

      @Override
      public void abort() {
        inner.abort();
      }
    };
  }

  /** The cap of one answer, with a message naming the key that sets it. */
  private ByteBudget perAnswer() {
    long[] charged = {0};
    return new ByteBudget() {
      @Override
      public long limit() {
        return maxResponseBytes;
      }

      @Override
      public void charge(long bytes) throws dev.passport.api.BackendException {
        charged[0] += bytes;
        if (charged[0] > maxResponseBytes) {
          throw new dev.passport.api.BackendException(
              dev.passport.api.BackendException.Kind.RESOURCE_EXHAUSTED,
              "an AWS answer is larger than maxResponseBytes (" + maxResponseBytes
                  + " bytes, aws.properties); raise it or store less in one object");
        }
      }
    };
  }

  @Override
  public String clientName() {
    return delegate.clientName();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
