package dev.passport.tools.azure;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.passport.testkit.InvalidTokenException;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TokenClaims;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * Microsoft Entra ID's v2.0 token endpoint for workload identity, on loopback:
 * {@code POST /{tenant}/oauth2/v2.0/token} with {@code grant_type=client_credentials},
 * {@code client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer} and the
 * pod's token as {@code client_assertion}, checked as Entra checks a federated credential: the
 * testkit's signature and issuer, audience {@code api://AzureADTokenExchange}, subject
 * {@code system:serviceaccount:<ns>:<sa>} registered for the client id. Failures answer Entra's
 * AADSTS error JSON. Counts every request, so tests see the identity library's retries.
 */
public final class FakeEntra implements AutoCloseable {

  public static final String ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  public static final String AUDIENCE = "api://AzureADTokenExchange";
  private static final Pattern TOKEN_PATH = Pattern.compile("/([^/]+)/oauth2/v2\\.0/token");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A federated credential: client id of tenant trusts subject. */
  public record Federation(String tenant, String clientId, String subject) {}

  /** An access token Entra issued, for the fake vault to check. */
  public record Issued(String tenant, String clientId, String scope, String subject) {}

  private final HttpsServer server;
  private final ExecutorService executor;
  private final ServiceAccountTokens tokens;
  private final Clock clock;
  private final Set<Federation> federations = ConcurrentHashMap.newKeySet();
  private final Map<String, Issued> issued = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final java.util.List<String> scopes = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicInteger exchanges = new AtomicInteger();
  private final AtomicInteger otherRequests = new AtomicInteger();
  private volatile boolean refusing;
  private final AtomicInteger throttleNext = new AtomicInteger();

  public FakeEntra(SSLContext tls, ServiceAccountTokens tokens, Clock clock) throws IOException {
    this.tokens = tokens;
    this.clock = clock;
    this.server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread thread = new Thread(r, "fake-entra");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** {@code https://127.0.0.1:<port>/}: the authority host. */
  public String authorityHost() {
    return "https://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  public void federate(String tenant, String clientId, String namespace, String serviceAccount) {
    federations.add(new Federation(tenant, clientId,
        "system:serviceaccount:" + namespace + ":" + serviceAccount));
  }

  /** Refuses every assertion as unfederated (AADSTS700213), until recover(). */
  public void refuse() {
    refusing = true;
  }

  public void recover() {
    refusing = false;
    throttleNext.set(0);
  }

  /**
   * The next {@code n} token requests answer as a throttled tenant: HTTP 429 with
   * {@code Retry-After} and AADSTS90055 (TenantThrottlingError).
   */
  public void throttle(int n) {
    throttleNext.set(n);
  }

  /** The access tokens issued: secrets that must never reach a log. */
  public Set<String> issuedTokens() {
    return Set.copyOf(issued.keySet());
  }

  public Issued issued(String accessToken) {
    return issued.get(accessToken);
  }

  /** Every token request, refused ones and the library's retries included. */
  public int tokenRequests() {
    return requests.get();
  }

  public java.util.List<String> scopes() {
    return java.util.List.copyOf(scopes);
  }

  /** Access tokens issued. */
  public int exchanges() {
    return exchanges.get();
  }

  /** Requests to any other path (instance discovery, OpenID metadata): none expected. */
  public int otherRequests() {
    return otherRequests.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Matcher path = TOKEN_PATH.matcher(exchange.getRequestURI().getPath());
      if (!path.matches() || !"POST".equals(exchange.getRequestMethod())) {
        otherRequests.incrementAndGet();
        respond(exchange, 404, error("invalid_request", 90002, "Tenant not found."));
        return;
      }
      requests.incrementAndGet();
      if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        exchange.getResponseHeaders().set("Retry-After", "1");
        respond(exchange, 429, error("temporarily_unavailable", 90055, "There are too many"
            + " incoming requests. This exception is thrown for blocked tenants."));
        return;
      }
      String tenant = path.group(1);
      Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(),
          StandardCharsets.UTF_8));
      if (!"client_credentials".equals(form.get("grant_type"))) {
        respond(exchange, 400, error("unsupported_grant_type", 70003,
            "The app requested an unsupported grant type."));
        return;
      }
      if (!ASSERTION_TYPE.equals(form.get("client_assertion_type"))) {
        respond(exchange, 400, error("invalid_client", 7000218, "The request body must contain"
            + " the following parameter: 'client_assertion' or 'client_secret'."));
        return;
      }
      String clientId = form.getOrDefault("client_id", "");
      String scope = form.getOrDefault("scope", "");
      scopes.add(scope);
      TokenClaims claims;
      try {
        claims = tokens.verify(form.get("client_assertion"), AUDIENCE, clock.instant());
      } catch (InvalidTokenException e) {
        String reason = String.valueOf(e.getMessage());
        if (reason.contains("audience")) {
          respond(exchange, 400, error("invalid_client", 700212, "No matching federated identity"
              + " record found for presented assertion audience '" + audienceOf(reason) + "'."));
        } else if (reason.contains("expired")) {
          respond(exchange, 400, error("invalid_client", 700024,
              "Client assertion is not within its valid time range."));
        } else if (reason.contains("issuer")) {
          respond(exchange, 400, error("invalid_client", 700211, "No matching federated identity"
              + " record found for presented assertion issuer."));
        } else {
          respond(exchange, 400, error("invalid_client", 700027,
              "Client assertion failed signature validation."));
        }
        return;
      }
      if (refusing
          || !federations.contains(new Federation(tenant, clientId, claims.subject()))) {
        respond(exchange, 400, error("invalid_client", 700213, "No matching federated identity"
            + " record found for presented assertion subject '" + claims.subject() + "'."));
        return;
      }
      String accessToken = "eyJ0eXAi." + UUID.randomUUID() + ".fake";
      issued.put(accessToken, new Issued(tenant, clientId, scope, claims.subject()));
      exchanges.incrementAndGet();
      ObjectNode body = JSON.createObjectNode()
          .put("token_type", "Bearer")
          .put("expires_in", 3599)
          .put("ext_expires_in", 3599)
          .put("access_token", accessToken);
      respond(exchange, 200, body.toString());
    }
  }

  private static String audienceOf(String reason) {
    Matcher m = Pattern.compile("\\[([^\\]]*)\\]").matcher(reason);
    return m.find() ? m.group(1) : "";
  }

  /** Entra's error answer. */
  private String error(String error, int code, String description) {
    String trace = UUID.randomUUID().toString();
    return JSON.createObjectNode()
        .put("error", error)
        .put("error_description", "AADSTS" + code + ": " + description + " Trace ID: " + trace
            + " Correlation ID: " + UUID.randomUUID() + " Timestamp: " + Instant.now())
        .<ObjectNode>set("error_codes", JSON.createArrayNode().add(code))
        .put("timestamp", Instant.now().toString())
        .put("trace_id", trace)
        .put("correlation_id", UUID.randomUUID().toString())
        .put("error_uri", authorityHost() + "error?code=" + code)
        .toString();
  }

  private static Map<String, String> form(String body) {
    Map<String, String> form = new HashMap<>();
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return form;
  }

  public static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
