package dev.passport.plugins.certmanager;

import dev.passport.api.ByteBudget;
import dev.passport.support.BoundedReads;
import dev.passport.support.ForwardingHttpClient;
import dev.passport.support.BudgetExceededException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.PushPromiseHandler;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The JDK HTTP client fabric8 talks to the API server through, with every byte it receives
 * charged to one fetch's {@link ReadCap}: response bodies (through {@link BoundedReads}, so a
 * {@code Content-Length} past the limit is refused before the body is read) and WebSocket watch
 * messages (fabric8's JDK WebSocket adapter appends the parts of a message to one unbounded
 * buffer, so the parts are charged as they arrive, before it sees them).
 *
 * <p>Wrapping the JDK client rather than adding a fabric8 {@code Interceptor}: an interceptor's
 * {@code consumer} sees HTTP bodies only, never WebSocket messages, which is how fabric8 watches.
 */
final class CappedHttpClient extends ForwardingHttpClient {

  private final ReadCap cap;

  CappedHttpClient(HttpClient delegate, ReadCap cap) {
    super(delegate);
    this.cap = cap;
  }

  private <T> BodyHandler<T> capped(BodyHandler<T> handler) {
    BodyHandler<T> bounded = BoundedReads.budgeted(handler, cap);
    return info -> {
      // BoundedReads refuses a Content-Length past the limit before charging: record that too.
      if (info.headers().firstValueAsLong("Content-Length").orElse(0) > cap.limit()) {
        cap.refused(ByteBudget.exceeded(cap.limit()));
      }
      return bounded.apply(info);
    };
  }

  /**
   * Once the budget refused a read, nothing more is sent: fabric8 would otherwise retry a request
   * whose answer was cut (a create, again) and reconnect a cut watch until the fetch gives up.
   */
  private Optional<BudgetExceededException> spent() {
    return cap.refusal().map(BudgetExceededException::new);
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Optional<BudgetExceededException> spent = spent();
    if (spent.isPresent()) {
      throw spent.get();
    }
    return delegate.send(request, capped(handler));
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      BodyHandler<T> handler) {
    return sendAsync(request, handler, null);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      BodyHandler<T> handler, PushPromiseHandler<T> pushPromiseHandler) {
    Optional<BudgetExceededException> spent = spent();
    if (spent.isPresent()) {
      return CompletableFuture.failedFuture(spent.get());
    }
    // Pushed responses are refused: the API server does not push, and each would be a read.
    return delegate.sendAsync(request, capped(handler), null);
  }

  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return new CappedWebSocketBuilder(delegate.newWebSocketBuilder(), cap, this);
  }

  /** Builds WebSockets whose incoming messages are charged to the cap. */
  private static final class CappedWebSocketBuilder implements WebSocket.Builder {
    private final WebSocket.Builder delegate;
    private final ReadCap cap;
    private final CappedHttpClient client;

    CappedWebSocketBuilder(WebSocket.Builder delegate, ReadCap cap, CappedHttpClient client) {
      this.delegate = delegate;
      this.cap = cap;
      this.client = client;
    }

    @Override
    public WebSocket.Builder header(String name, String value) {
      delegate.header(name, value);
      return this;
    }

    @Override
    public WebSocket.Builder connectTimeout(Duration timeout) {
      delegate.connectTimeout(timeout);
      return this;
    }

    @Override
    public WebSocket.Builder subprotocols(String mostPreferred, String... lesserPreferred) {
      delegate.subprotocols(mostPreferred, lesserPreferred);
      return this;
    }

    @Override
    public CompletableFuture<WebSocket> buildAsync(URI uri, WebSocket.Listener listener) {
      Optional<BudgetExceededException> spent = client.spent();
      if (spent.isPresent()) {
        return CompletableFuture.failedFuture(spent.get());
      }
      return delegate.buildAsync(uri, new CappedListener(listener, cap));
    }
  }

  /**
   * Charges each part of a message before the listener sees it; past the cap, aborts the
   * WebSocket and tells the listener once, as an I/O error.
   */
  private static final class CappedListener implements WebSocket.Listener {
    private final WebSocket.Listener delegate;
    private final ReadCap cap;
    private volatile boolean refused;

    CappedListener(WebSocket.Listener delegate, ReadCap cap) {
      this.delegate = delegate;
      this.cap = cap;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      delegate.onOpen(webSocket);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      return admitted(webSocket, utf8Length(data)) ? delegate.onText(webSocket, data, last) : null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      return admitted(webSocket, data.remaining()) ? delegate.onBinary(webSocket, data, last) : null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
      // Control frames carry at most 125 bytes (RFC 6455 5.5) and are not kept.
      return refused ? null : delegate.onPing(webSocket, message);
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      return refused ? null : delegate.onPong(webSocket, message);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      return refused ? null : delegate.onClose(webSocket, statusCode, reason);
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      if (!refused) {
        delegate.onError(webSocket, error);
      }
    }

    private boolean admitted(WebSocket webSocket, long bytes) {
      if (refused) {
        return false;
      }
      try {
        BoundedReads.charge(cap, bytes);
        return true;
      } catch (BudgetExceededException e) {
        refused = true;
        webSocket.abort();
        delegate.onError(webSocket, e);
        return false;
      }
    }

    /** The bytes {@code text} took on the wire (a WebSocket text message is UTF-8). */
    static long utf8Length(CharSequence text) {
      long bytes = 0;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c < 0x80) {
          bytes += 1;
        } else if (c < 0x800) {
          bytes += 2;
        } else if (Character.isHighSurrogate(c)) {
          // A surrogate pair is one 4-byte code point; its low half adds nothing more.
          bytes += 4;
          i++;
        } else {
          bytes += 3;
        }
      }
      return bytes;
    }
  }
}
