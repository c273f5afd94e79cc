package dev.passport.plugins.azure;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeader;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import dev.passport.support.BoundedReads;
import dev.passport.api.ByteBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * azure-core's {@link HttpClient} over {@code java.net.http}: the BOM's
 * azure-core-http-jdk-httpclient is not served here and azure-core-http-netty would be most of the
 * plugin's size. Every answer is read whole, up to {@link #MAX_RESPONSE} bytes (a Key Vault secret
 * is at most 25 KiB; a versions page or a token answer a few KiB), so an answer can never grow the
 * driver's heap without bound.
 */
final class JdkHttpClient implements HttpClient {

  /** The largest answer read: a 25 KiB secret as JSON with its attributes and tags, with room. */
  static final long MAX_RESPONSE = 256 * 1024;
  // java.net.http sets these itself and refuses them from callers
  private static final Set<String> RESTRICTED =
      Set.of("host", "content-length", "connection", "expect", "upgrade");

  private static final String BUDGET = "passport-byte-budget";

  private final java.net.http.HttpClient client;
  private final Duration timeout;

  JdkHttpClient(SSLContext tls, Duration timeout) {
    this.client = java.net.http.HttpClient.newBuilder()
        .sslContext(tls)
        .connectTimeout(timeout)
        // Entra and Key Vault answer without redirects; one would leave the operator's endpoints
        .followRedirects(java.net.http.HttpClient.Redirect.NEVER)
        .version(java.net.http.HttpClient.Version.HTTP_1_1)
        .build();
    this.timeout = timeout;
  }

  @Override
  public Mono<HttpResponse> send(HttpRequest request) {
    return Mono.fromCallable(() -> sendSync(request, Context.NONE));
  }

  @Override
  public Mono<HttpResponse> send(HttpRequest request, Context context) {
    return Mono.fromCallable(() -> sendSync(request, context));
  }

  @Override
  public HttpResponse sendSync(HttpRequest request, Context context) {
    java.net.http.HttpRequest.Builder builder;
    try {
      builder = java.net.http.HttpRequest.newBuilder(request.getUrl().toURI()).timeout(timeout);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URI: " + e.getInput(), e);
    }
    for (HttpHeader header : request.getHeaders()) {
      if (!RESTRICTED.contains(header.getName().toLowerCase(java.util.Locale.ROOT))) {
        for (String value : header.getValuesList()) {
          builder.header(header.getName(), value);
        }
      }
    }
    BinaryData body = request.getBodyAsBinaryData();
    builder.method(request.getHttpMethod().name(),
        body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body.toBytes()));
    java.net.http.HttpResponse<byte[]> response;
    try {
      response = client.send(builder.build(),
          BoundedReads.budgeted(BodyHandlers.ofByteArray(), budgetOf(context)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while calling " + request.getUrl().getHost(), e);
    }
    return new Answer(request, response);
  }

  /** A Context carrying the fetch's budget, which Key Vault calls pass down to this client. */
  static Context withBudget(ByteBudget budget) {
    return new Context(BUDGET, budget);
  }

  /**
   * The per-answer cap, and the fetch's budget when the call carries one (Entra's token calls
   * come through the identity library without it: they are bounded by the cap alone).
   */
  private static ByteBudget budgetOf(Context context) {
    ByteBudget cap = ByteBudget.limitedTo(MAX_RESPONSE);
    Object fetch = context == null ? null : context.getData(BUDGET).orElse(null);
    if (!(fetch instanceof ByteBudget budget)) {
      return cap;
    }
    return new ByteBudget() {
      @Override
      public long limit() {
        return Math.min(MAX_RESPONSE, budget.limit());
      }

      @Override
      public void charge(long bytes) throws dev.passport.api.BackendException {
        cap.charge(bytes);
        budget.charge(bytes);
      }
    };
  }

  /** An answer read whole. */
  static final class Answer extends HttpResponse {
    private final int status;
    private final HttpHeaders headers;
    private final byte[] body;

    Answer(HttpRequest request, java.net.http.HttpResponse<byte[]> response) {
      super(request);
      this.status = response.statusCode();
      this.headers = new HttpHeaders();
      for (Map.Entry<String, List<String>> entry : response.headers().map().entrySet()) {
        if (!entry.getKey().startsWith(":")) {
          headers.set(HttpHeaderName.fromString(entry.getKey()), entry.getValue());
        }
      }
      this.body = response.body() == null ? new byte[0] : response.body();
    }

    @Override
    public int getStatusCode() {
      return status;
    }

    @Override
    @SuppressWarnings("deprecation")
    public String getHeaderValue(String name) {
      return headers.getValue(name);
    }

    @Override
    public HttpHeaders getHeaders() {
      return headers;
    }

    @Override
    public Flux<ByteBuffer> getBody() {
      return Flux.just(ByteBuffer.wrap(body));
    }

    @Override
    public BinaryData getBodyAsBinaryData() {
      return BinaryData.fromBytes(body);
    }

    @Override
    public Mono<byte[]> getBodyAsByteArray() {
      return Mono.just(body);
    }

    @Override
    public Mono<String> getBodyAsString() {
      return Mono.just(new String(body, StandardCharsets.UTF_8));
    }

    @Override
    public Mono<String> getBodyAsString(Charset charset) {
      return Mono.just(new String(body, charset));
    }
  }
}
