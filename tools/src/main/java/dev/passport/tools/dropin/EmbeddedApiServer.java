package dev.passport.tools.dropin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Kubernetes API server for the demo, just enough of one: it lists the SecretProviderClasses
 * it was given ({@code secrets-store.csi.x-k8s.io/v1}, all namespaces) and holds a watch open with
 * no events. Not for tests of the driver (they use fabric8's mock API server in CRUD mode); the
 * demo ships without that mock's Vert.x and Netty jars.
 */
public final class EmbeddedApiServer implements AutoCloseable {

  static final String PATH = "/apis/secrets-store.csi.x-k8s.io/v1/secretproviderclasses";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService threads;
  private final List<Map<String, Object>> items = new ArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final AtomicInteger requests = new AtomicInteger();

  private EmbeddedApiServer(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  /** Starts on 127.0.0.1 and a free port, serving these classes. */
  public static EmbeddedApiServer start() throws IOException {
    ExecutorService threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "demo-api-server");
      t.setDaemon(true);
      return t;
    });
    HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    EmbeddedApiServer api = new EmbeddedApiServer(http, threads);
    http.createContext("/", api::handle);
    http.setExecutor(threads);
    http.start();
    return api;
  }

  /** Adds a SecretProviderClass (before the driver lists them: this server sends no watch events). */
  public synchronized void add(String namespace, String name, String provider,
      Map<String, String> parameters) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("namespace", namespace);
    metadata.put("name", name);
    metadata.put("resourceVersion", "1");
    metadata.put("uid", namespace + "-" + name);
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("provider", provider);
    spec.put("parameters", parameters);
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("apiVersion", "secrets-store.csi.x-k8s.io/v1");
    item.put("kind", "SecretProviderClass");
    item.put("metadata", metadata);
    item.put("spec", spec);
    items.add(item);
  }

  /** The API server's URL, for a kubeconfig or a fabric8 Config. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Requests served so far (the list and the watch; republishes add none). */
  public int requests() {
    return requests.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try (exchange) {
      String query = exchange.getRequestURI().getRawQuery();
      if (!exchange.getRequestURI().getPath().equals(PATH)) {
        respond(exchange, 404, Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure",
            "code", 404, "reason", "NotFound", "message", "the demo API server serves only " + PATH));
      } else if (query != null && query.contains("watch=true")) {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().flush();
        // No events to send: hold the watch until the demo ends.
        closed.await();
      } else {
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("apiVersion", "secrets-store.csi.x-k8s.io/v1");
        list.put("kind", "SecretProviderClassList");
        list.put("metadata", Map.of("resourceVersion", "1"));
        synchronized (this) {
          list.put("items", List.copyOf(items));
        }
        respond(exchange, 200, list);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void respond(HttpExchange exchange, int code, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
    threads.shutdownNow();
  }
}
