package dev.passport.host.http;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.passport.host.threads.DaemonThreads;
import dev.passport.host.metrics.PrometheusMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's small HTTP endpoint: {@code GET /metrics} (Prometheus text format) and
 * {@code GET /healthz} (200 {@code ok} while the host is up, 503 otherwise). One daemon thread:
 * scrapes and probes are rare and quick, and must never keep the JVM alive or compete with CSI calls.
 */
public final class MetricsServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code address} and serves until {@link #close()}.
   *
   * @param healthy whether plugins are loaded and the CSI socket is bound (the host started and is not closed)
   */
  public static MetricsServer start(InetSocketAddress address, PrometheusMetrics metrics,
      BooleanSupplier healthy) throws IOException {
    requireNonNull(address, "address is null");
    requireNonNull(metrics, "metrics is null");
    requireNonNull(healthy, "healthy is null");
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new IOException("cannot listen for metrics on " + address + ": " + e.getMessage()
          + "; pick another --metrics-address or 0 to turn metrics off", e);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(DaemonThreads.named("metrics-http"));
    server.setExecutor(executor);
    server.createContext("/", exchange -> handle(exchange, metrics, healthy));
    server.start();
    LOG.info("metrics on http://{}/metrics, health on /healthz", hostAndPort(server.getAddress()));
    return new MetricsServer(server, executor);
  }

  /** The bound address (the real port when started on port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void handle(HttpExchange exchange, PrometheusMetrics metrics,
      BooleanSupplier healthy) throws IOException {
    try {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        text(exchange, 405, "method not allowed\n");
        return;
      }
      switch (exchange.getRequestURI().getPath()) {
        case "/metrics" -> {
          exchange.getResponseHeaders().set("Content-Type", PrometheusMetrics.contentType());
          if (method.equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            return;
          }
          exchange.sendResponseHeaders(200, 0);
          try (OutputStream body = exchange.getResponseBody()) {
            metrics.scrape(body);
          }
        }
        case "/healthz" -> {
          boolean up = healthy.getAsBoolean();
          text(exchange, up ? 200 : 503, up ? "ok\n" : "not ready\n");
        }
        default -> text(exchange, 404, "not found: try /metrics or /healthz\n");
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("metrics request failed: {}", e.toString());
    } finally {
      exchange.close();
    }
  }

  private static void text(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static String hostAndPort(InetSocketAddress address) {
    String host = address.getAddress().isAnyLocalAddress() ? "0.0.0.0" : address.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }
}
