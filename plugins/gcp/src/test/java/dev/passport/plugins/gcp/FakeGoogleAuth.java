package dev.passport.plugins.gcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.passport.testkit.InvalidTokenException;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TokenClaims;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * Google's Security Token Service ({@code POST /v1/token}, RFC 8693) and IAM Credentials
 * ({@code generateAccessToken}) on one loopback HTTPS server, speaking the wire format
 * google-auth-library expects. STS verifies the subject token against the testkit's signing key and
 * the pool audience; IAM checks that the bearer is a token STS issued. Both count calls and can be
 * told to fail.
 */
final class FakeGoogleAuth implements AutoCloseable {

  static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  static final String JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
  static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
  static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

  private static final Pattern GENERATE_ACCESS_TOKEN =
      Pattern.compile("/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One STS exchange as received. */
  record Exchange(String audience, String subject, String podUid) {}

  /** One generateAccessToken call as received. */
  record Impersonation(String serviceAccount, List<String> delegates, String lifetime,
      List<String> scope) {}

  /** A canned error answer. */
  record Failure(int status, String body) {}

  /**
   * An answer of {@code bytes} bytes: announced in {@code Content-Length} or chunked, optionally
   * gzip-compressed (then chunked: {@code bytes} is the inflated size).
   */
  record Flood(int status, long bytes, boolean announced, boolean gzip) {}

  private final HttpsServer server;
  private final ExecutorService executor;
  private final ServiceAccountTokens tokens;
  private final Clock clock;
  private final String podTokenAudience;
  private final String workloadIdentityProvider;
  private final List<Exchange> exchanges = new ArrayList<>();
  private final List<Impersonation> impersonations = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();
  private final Set<String> federatedTokens = ConcurrentHashMap.newKeySet();
  private final Set<String> serviceAccountTokens = ConcurrentHashMap.newKeySet();
  private final AtomicInteger issued = new AtomicInteger();
  private final CountDownLatch released = new CountDownLatch(1);
  private volatile boolean stsStalled;
  private volatile Failure stsFailure;
  private volatile Failure iamFailure;
  private volatile Flood stsFlood;
  private volatile String iamExpireTime;
  private final AtomicInteger floodsCutShort = new AtomicInteger();

  private FakeGoogleAuth(SSLContext tls, ServiceAccountTokens tokens, Clock clock,
      String podTokenAudience, String workloadIdentityProvider) throws IOException {
    this.tokens = tokens;
    this.clock = clock;
    this.podTokenAudience = podTokenAudience;
    this.workloadIdentityProvider = workloadIdentityProvider;
    this.server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    this.server.setHttpsConfigurator(new HttpsConfigurator(tls));
    this.executor = Executors.newFixedThreadPool(4, runnable -> {
      Thread thread = new Thread(runnable, "fake-google-auth");
      thread.setDaemon(true);
      return thread;
    });
    this.server.setExecutor(executor);
    this.server.createContext("/", this::handle);
    this.server.start();
  }

  /**
   * Starts the fake, serving TLS with {@code tls}. STS accepts pod tokens minted by {@code tokens} for {@code podTokenAudience},
   * exchanged for {@code workloadIdentityProvider}.
   */
  static FakeGoogleAuth start(SSLContext tls, ServiceAccountTokens tokens, Clock clock,
      String podTokenAudience, String workloadIdentityProvider) throws IOException {
    return new FakeGoogleAuth(tls, tokens, clock, podTokenAudience, workloadIdentityProvider);
  }

  /** {@code https://127.0.0.1:<port>}: the IAM Credentials base URL; STS is at /v1/token. */
  String baseUrl() {
    return "https://127.0.0.1:" + server.getAddress().getPort();
  }

  String stsTokenUrl() {
    return baseUrl() + "/v1/token";
  }

  synchronized List<Exchange> exchanges() {
    return List.copyOf(exchanges);
  }

  synchronized List<Impersonation> impersonations() {
    return List.copyOf(impersonations);
  }

  /** Requests that broke the protocol (wrong form field, bad bearer): a test expects none. */
  synchronized List<String> problems() {
    return List.copyOf(problems);
  }

  Set<String> federatedTokens() {
    return Set.copyOf(federatedTokens);
  }

  Set<String> serviceAccountTokens() {
    return Set.copyOf(serviceAccountTokens);
  }

  /** Every access token issued, for the fake Secret Manager and for log hygiene checks. */
  Set<String> issuedTokens() {
    Set<String> all = new HashSet<>(federatedTokens);
    all.addAll(serviceAccountTokens);
    return all;
  }

  /** Makes STS answer {@code status} with an RFC 6749 error body. */
  void failSts(int status, String error, String description) {
    ObjectNode body = JSON.createObjectNode().put("error", error)
        .put("error_description", description);
    stsFailure = new Failure(status, body.toString());
  }

  /** Makes IAM Credentials answer {@code status} with a Google API error body. */
  void failIam(int status, String googleStatus, String message) {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("error").put("code", status).put("message", message)
        .put("status", googleStatus);
    iamFailure = new Failure(status, body.toString());
  }

  /** Makes IAM Credentials answer HTTP 200 with this {@code expireTime} text. */
  void answerIamExpireTime(String expireTime) {
    iamExpireTime = expireTime;
  }

  /** Makes STS answer with a body of {@code flood.bytes()} bytes instead of a token. */
  void floodSts(Flood flood) {
    stsFlood = flood;
  }

  /** Floods the client stopped reading (closed the connection) before their end. */
  int floodsCutShort() {
    return floodsCutShort.get();
  }

  /** Makes STS hold every request without an answer until {@link #close}. */
  void stallSts() {
    stsStalled = true;
  }

  void recover() {
    stsFailure = null;
    iamFailure = null;
    stsFlood = null;
    stsStalled = false;
    iamExpireTime = null;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!"POST".equals(exchange.getRequestMethod())) {
        respond(exchange, 405, "{}");
      } else if (path.equals("/v1/token")) {
        sts(exchange);
      } else {
        Matcher m = GENERATE_ACCESS_TOKEN.matcher(path);
        if (m.matches()) {
          iam(exchange, m.group(1));
        } else {
          respond(exchange, 404, "{\"error\":{\"code\":404,\"message\":\"no such path\"}}");
        }
      }
    }
  }

  private void sts(HttpExchange exchange) throws IOException {
    Map<String, String> form = parseForm(readBody(exchange));
    expect(form, "grant_type", TOKEN_EXCHANGE);
    expect(form, "subject_token_type", JWT_TYPE);
    expect(form, "requested_token_type", ACCESS_TOKEN_TYPE);
    expect(form, "audience", workloadIdentityProvider);
    if (!String.valueOf(form.get("scope")).contains(CLOUD_PLATFORM)) {
      problem("STS scope is " + form.get("scope"));
    }
    if (stsStalled) {
      awaitRelease();
      respond(exchange, 503, "{\"error\":\"temporarily_unavailable\"}");
      return;
    }
    Flood flood = stsFlood;
    if (flood != null) {
      flood(exchange, flood);
      return;
    }
    Failure failure = stsFailure;
    if (failure != null) {
      respond(exchange, failure.status(), failure.body());
      return;
    }
    TokenClaims claims;
    try {
      claims = tokens.verify(form.get("subject_token"), podTokenAudience, clock.instant());
    } catch (InvalidTokenException e) {
      respond(exchange, 400, JSON.createObjectNode().put("error", "invalid_grant")
          .put("error_description", "The subject token is invalid: " + e.getMessage()).toString());
      return;
    }
    synchronized (this) {
      exchanges.add(new Exchange(form.get("audience"), claims.subject(), claims.podUid()));
    }
    String accessToken = "federated-" + issued.incrementAndGet() + "-" + UUID.randomUUID();
    federatedTokens.add(accessToken);
    ObjectNode body = JSON.createObjectNode()
        .put("access_token", accessToken)
        .put("issued_token_type", ACCESS_TOKEN_TYPE)
        .put("token_type", "Bearer")
        .put("expires_in", 3600);
    respond(exchange, 200, body.toString());
  }

  private void iam(HttpExchange exchange, String serviceAccount) throws IOException {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    String bearer = authorization != null && authorization.startsWith("Bearer ")
        ? authorization.substring("Bearer ".length()) : "";
    JsonNode request = JSON.readTree(readBody(exchange));
    if (!federatedTokens.contains(bearer)) {
      problem("generateAccessToken without a federated bearer token");
      respond(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"Request had invalid"
          + " authentication credentials.\",\"status\":\"UNAUTHENTICATED\"}}");
      return;
    }
    Failure failure = iamFailure;
    if (failure != null) {
      respond(exchange, failure.status(), failure.body());
      return;
    }
    List<String> delegates = new ArrayList<>();
    request.path("delegates").forEach(d -> delegates.add(d.asText()));
    List<String> scope = new ArrayList<>();
    request.path("scope").forEach(s -> scope.add(s.asText()));
    synchronized (this) {
      impersonations.add(new Impersonation(serviceAccount, delegates,
          request.path("lifetime").asText(), scope));
    }
    String accessToken = "impersonated-" + issued.incrementAndGet() + "-"
        + UUID.randomUUID();
    serviceAccountTokens.add(accessToken);
    // google-auth-library compares expireTime with the real clock. Google writes the protobuf
    // Timestamp with its fraction (0, 3, 6 or 9 digits): always send one, as the real one may
    Instant expires = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MICROS)
        .plusNanos(123_457_000);
    String expireTime = iamExpireTime != null ? iamExpireTime : expires.toString();
    ObjectNode body = JSON.createObjectNode()
        .put("accessToken", accessToken)
        .put("expireTime", expireTime);
    respond(exchange, 200, body.toString());
  }

  private void expect(Map<String, String> form, String field, String expected) {
    if (!expected.equals(form.get(field))) {
      problem("STS field " + field + " is " + form.get(field) + ", expected " + expected);
    }
  }

  private synchronized void problem(String description) {
    problems.add(description);
  }

  private static String readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Map<String, String> parseForm(String body) {
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

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private void flood(HttpExchange exchange, Flood flood) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    if (flood.gzip()) {
      exchange.getResponseHeaders().set("Content-Encoding", "gzip");
    }
    boolean announced = flood.announced() && !flood.gzip();
    exchange.sendResponseHeaders(flood.status(), announced ? flood.bytes() : 0);
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) 'a');
    byte[] start = "{\"access_token\":\"".getBytes(StandardCharsets.UTF_8);
    System.arraycopy(start, 0, chunk, 0, start.length);
    try (OutputStream body = flood.gzip()
        ? new java.util.zip.GZIPOutputStream(exchange.getResponseBody())
        : exchange.getResponseBody()) {
      for (long left = flood.bytes(); left > 0; left -= chunk.length) {
        body.write(chunk, 0, (int) Math.min(chunk.length, left));
        java.util.Arrays.fill(chunk, 0, start.length, (byte) 'a');
      }
    } catch (IOException e) {
      floodsCutShort.incrementAndGet();
    }
  }

  private void awaitRelease() {
    try {
      released.await(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
