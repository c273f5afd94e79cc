package dev.passport.plugins.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.passport.testkit.InvalidTokenException;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TokenClaims;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An in-house secret service on 127.0.0.1 as the http plugin meets them: it accepts a Kubernetes
 * token as bearer, verifies it like a real service would (signature, issuer, audience, lifetime,
 * judged by the test's clock) and answers 401 to anything else. Tests set what it answers next,
 * and read what it received.
 */
final class FakeSecretService implements AutoCloseable {

  /** One request that reached the service. */
  record Received(URI uri, String accept, TokenClaims claims) {}

  /** How a large answer's body is framed. */
  enum Framing { CONTENT_LENGTH, CHUNKED }

  /**
   * What became of a large answer: how many body bytes the service wrote before it finished or
   * the client dropped the connection.
   */
  record LargeAnswer(long size, long written, boolean complete) {}

  private record Large(int status, String head, long size, Framing framing) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final ServiceAccountTokens tokens;
  private final Clock clock;
  private final String audience;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private volatile int status = 200;
  private volatile String body = "";
  private volatile Map<String, String> headers = Map.of();
  private volatile Duration stall = Duration.ZERO;
  private volatile Duration bodyStall = Duration.ZERO;
  private volatile Large large;
  private final CompletableFuture<LargeAnswer> largeAnswer = new CompletableFuture<>();

  private FakeSecretService(HttpServer server, ServiceAccountTokens tokens, Clock clock,
      String audience) {
    this.server = server;
    this.tokens = tokens;
    this.clock = clock;
    this.audience = audience;
    // daemon threads: the conformance suite fails on non-daemon threads it did not see before
    this.executor = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "fake-secret-service");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a service on an ephemeral loopback port that accepts tokens for {@code audience}. */
  static FakeSecretService start(ServiceAccountTokens tokens, Clock clock, String audience)
      throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    return new FakeSecretService(server, tokens, clock, audience);
  }

  /** {@code http://127.0.0.1:<port><path>}. */
  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** Answers the next requests (with a valid token) with {@code status} and {@code body}. */
  void answer(int status, String body) {
    answer(status, body, Map.of());
  }

  /** Answers the next requests with {@code status}, {@code body} and response headers. */
  void answer(int status, String body, Map<String, String> headers) {
    this.status = status;
    this.body = body;
    this.headers = Map.copyOf(headers);
    this.stall = Duration.ZERO;
    this.bodyStall = Duration.ZERO;
    this.large = null;
  }

  /**
   * Answers the next requests with {@code status} and a body of {@code size} bytes, {@code head}
   * followed by {@code x}s, written as it goes (never held whole), framed as {@code framing}.
   */
  void answerLarge(int status, String head, long size, Framing framing) {
    answer(status, "");
    this.large = new Large(status, head, size, framing);
  }

  /** The first large answer's fate, once the service stopped writing it. */
  LargeAnswer largeAnswer(Duration wait) throws Exception {
    return largeAnswer.get(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Holds each next request for {@code duration} (or until {@link #close()}) before answering. */
  void stall(Duration duration) {
    this.stall = duration;
  }

  /** Sends the headers and the first byte of each next answer, then holds the rest. */
  void stallBody(Duration duration) {
    this.bodyStall = duration;
  }

  /** The requests with an accepted token, in order. */
  List<Received> received() {
    return List.copyOf(received);
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      Duration hold = stall;
      if (!hold.isZero()) {
        closed.await(hold.toMillis(), TimeUnit.MILLISECONDS);
      }
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      if (authorization == null || !authorization.startsWith("Bearer ")) {
        send(exchange, 401, "{\"error\":\"bearer token required\"}", Map.of());
        return;
      }
      TokenClaims claims;
      try {
        claims = tokens.verify(authorization.substring("Bearer ".length()), audience,
            clock.instant());
      } catch (InvalidTokenException e) {
        send(exchange, 401, "{\"error\":\"" + e.getMessage() + "\"}", Map.of());
        return;
      }
      received.add(new Received(exchange.getRequestURI(),
          exchange.getRequestHeaders().getFirst("Accept"), claims));
      Large answer = large;
      if (answer != null) {
        sendLarge(exchange, answer);
      } else if (bodyStall.isZero()) {
        send(exchange, status, body, headers);
      } else {
        exchange.sendResponseHeaders(status, 0);
        exchange.getResponseBody().write(body.getBytes(UTF_8), 0, 1);
        exchange.getResponseBody().flush();
        closed.await(bodyStall.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void sendLarge(HttpExchange exchange, Large answer) throws IOException {
    exchange.sendResponseHeaders(answer.status(),
        answer.framing() == Framing.CHUNKED ? 0 : answer.size());
    byte[] head = answer.head().getBytes(UTF_8);
    byte[] block = new byte[64 * 1024];
    Arrays.fill(block, (byte) 'x');
    long written = 0;
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(head);
      written = head.length;
      while (written < answer.size()) {
        int n = (int) Math.min(block.length, answer.size() - written);
        out.write(block, 0, n);
        written += n;
      }
    } catch (IOException dropped) {
      // the client closed the connection: what the test wants to see
      largeAnswer.complete(new LargeAnswer(answer.size(), written, false));
      return;
    }
    largeAnswer.complete(new LargeAnswer(answer.size(), written, true));
  }

  private static void send(HttpExchange exchange, int status, String body,
      Map<String, String> headers) throws IOException {
    byte[] bytes = body.getBytes(UTF_8);
    headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
