package dev.passport.examples.tokenexchange;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.passport.testkit.InvalidTokenException;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TokenClaims;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An RFC 8693 token endpoint on 127.0.0.1 that verifies the pod's token with the testkit's
 * {@link ServiceAccountTokens}, as a real one verifies it against the cluster's JWKS. It issues
 * {@code access-<namespace>-<service account>}, so the same pod gets the same token.
 */
final class FakeTokenEndpoint implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "fake-token-endpoint");
    thread.setDaemon(true); // the conformance suite reports non-daemon threads it did not start
    return thread;
  });
  private final CountDownLatch closed = new CountDownLatch(1);
  private final ServiceAccountTokens tokens;
  private final Clock clock;
  private final String audience;
  private volatile int failStatus;
  private volatile String failError = "";
  private volatile Duration stall = Duration.ZERO;

  FakeTokenEndpoint(ServiceAccountTokens tokens, Clock clock, String audience) throws IOException {
    this.tokens = tokens;
    this.clock = clock;
    this.audience = audience;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(threads);
    server.createContext("/token", this::exchange);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  void succeed() {
    failStatus = 0;
    stall = Duration.ZERO;
  }

  /** Answers the next exchanges with {@code status} and, when not empty, an OAuth error code. */
  void fail(int status, String error) {
    failStatus = status;
    failError = error;
  }

  void stall(Duration duration) {
    stall = duration;
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
    threads.shutdownNow();
  }

  private void exchange(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> form =
          parseForm(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
      if (!stall.isZero()) {
        closed.await(stall.toMillis(), TimeUnit.MILLISECONDS);
      }
      if (failStatus != 0) {
        answer(exchange, failStatus,
            failError.isEmpty() ? "{}" : "{\"error\":\"" + failError + "\"}");
        return;
      }
      if (!"urn:ietf:params:oauth:grant-type:token-exchange".equals(form.get("grant_type"))) {
        answer(exchange, 400, "{\"error\":\"unsupported_grant_type\"}");
        return;
      }
      TokenClaims claims = tokens.verify(form.getOrDefault("subject_token", ""), audience,
          clock.instant());
      answer(exchange, 200, "{\"access_token\":\"access-" + claims.namespace() + "-"
          + claims.serviceAccountName() + "\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
          + "\"issued_token_type\":\"urn:ietf:params:oauth:token-type:access_token\"}");
    } catch (InvalidTokenException e) {
      answer(exchange, 400, "{\"error\":\"invalid_grant\"}");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Map<String, String> parseForm(String body) {
    Map<String, String> form = new HashMap<>();
    for (String pair : body.split("&")) {
      int equals = pair.indexOf('=');
      if (equals > 0) {
        form.put(pair.substring(0, equals), URLDecoder.decode(pair.substring(equals + 1), UTF_8));
      }
    }
    return form;
  }

  private static void answer(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }
}
