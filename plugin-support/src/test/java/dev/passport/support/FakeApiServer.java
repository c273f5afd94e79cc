package dev.passport.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;

/**
 * The Kubernetes API's {@code GET /api/v1/namespaces/{ns}/serviceaccounts/{name}} as the API
 * server answers it: the ServiceAccount's JSON, a {@code Status} with 401 for any other bearer
 * token, 404 for an account it does not have. Records each request's path and Authorization.
 */
final class FakeApiServer implements AutoCloseable {

  record Request(String path, String authorization) {}

  private final HttpServer server;
  private final String token;
  private final Map<String, String> accounts = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile int failWith;
  private volatile byte[] rawAnswer;

  private FakeApiServer(HttpServer server, String token) {
    this.server = server;
    this.token = token;
    server.createContext("/", this::handle);
    server.start();
  }

  static FakeApiServer http(String token) throws IOException {
    return new FakeApiServer(HttpServer.create(loopback(), 0), token);
  }

  static FakeApiServer https(String token, SSLContext tls) throws IOException {
    HttpsServer server = HttpsServer.create(loopback(), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    return new FakeApiServer(server, token);
  }

  URI url() {
    String scheme = server instanceof HttpsServer ? "https" : "http";
    return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort());
  }

  /** A ServiceAccount with these annotations, as JSON written by hand (the test's own text). */
  void put(String namespace, String name, String annotationsJson) {
    accounts.put(namespace + "/" + name, """
        {"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"%s","namespace":"%s",\
        "uid":"5f0e","annotations":%s},"secrets":[{"name":"x"}]}""".formatted(name, namespace,
        annotationsJson));
  }

  /** Every later request is answered with {@code status} and a Status body. */
  void failWith(int status) {
    this.failWith = status;
  }

  /** Every later authorized request is answered 200 with these bytes. */
  void answerRaw(byte[] body) {
    this.rawAnswer = body;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    requests.add(new Request(path, authorization));
    if (failWith != 0) {
      send(exchange, failWith, status(failWith));
    } else if (!("Bearer " + token).equals(authorization)) {
      send(exchange, 401, status(401));
    } else if (rawAnswer != null) {
      send(exchange, 200, rawAnswer);
    } else {
      String[] parts = path.split("/");
      String account = parts.length == 7 && parts[1].equals("api") && parts[3].equals("namespaces")
          && parts[5].equals("serviceaccounts") ? accounts.get(parts[4] + "/" + parts[6]) : null;
      if (account == null) {
        send(exchange, 404, status(404));
      } else {
        send(exchange, 200, account.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static byte[] status(int code) {
    return ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + code
        + "}").getBytes(StandardCharsets.UTF_8);
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
