package dev.passport.tools.vault;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.passport.testkit.InvalidTokenException;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TokenClaims;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.StandardConstants;
import dev.passport.testkit.LogHygiene;

/**
 * An in-memory development server that speaks Vault's HTTP API for tests and the demo — not
 * Vault, never for production.
 *
 * <p>It binds {@code 127.0.0.1} on a free port (plain HTTP, or HTTPS with a caller's
 * {@link SSLContext}) and implements, with Vault's JSON shapes and status codes:
 *
 * <ul>
 *   <li>{@code auth/<mount>/login} with {@code {role, jwt}} for Kubernetes and JWT auth: the pod
 *       token is verified with {@link ServiceAccountTokens#verify} and bound to the role's service
 *       accounts, namespaces and audience ({@link #addRole});
 *   <li>KV version 1 ({@code kv/} by default) and version 2 ({@code secret/} by default, with
 *       versions, {@code ?version=N} and {@code metadata/}); tests write with {@link #kvPut};
 *   <li>database credentials ({@code database/creds/<role>}): a new user name and password per
 *       read, with a renewable lease ({@link #databaseRole});
 *   <li>{@code pki/issue/<role>} via PUT or POST: certificate-shaped data (not a real certificate)
 *       with its {@code expiration} and, as real Vault's PKI roles by default
 *       ({@code generate_lease=false}), no lease ({@link #pkiRole}; {@link #pkiRoleWithLease} for
 *       roles that generate one);
 *   <li>{@code auth/token/renew-self} and {@code auth/token/revoke-self} for the issued tokens,
 *       which are renewable up to their role's {@code token_max_ttl};
 *   <li>{@code sys/leases/renew} and {@code sys/leases/revoke} ({@code lease_id} in the body or
 *       the path);
 *   <li>namespaces: the {@code X-Vault-Namespace} header partitions roles, tokens, mounts, secrets
 *       and leases;
 *   <li>{@code X-Vault-Token} on every other call ({@code 403 permission denied} otherwise), with
 *       optional path policies ({@link #definePolicy});
 *   <li>failure injection: {@link #failNext}, {@link #failPath}, {@link #seal}, {@link #stallNext},
 *       and a hostile server's oversized answer ({@link #answerOversized}).
 * </ul>
 *
 * <p>Each namespace starts with the mounts {@code secret} (KV v2), {@code kv} (KV v1),
 * {@code database} and {@code pki}; {@link #mountKv} adds more. Lease and token times follow the
 * injected {@link Clock}.
 *
 * <p>It counts requests by {@link VaultRequest.Kind} and keeps a log of method, path and
 * namespace. Neither holds a JWT, a Vault token or a request body, so tests may print them.
 */
public final class VaultDevServer implements AutoCloseable {

  /** Sorted keys: a secret written from a {@code Map.of} reads back the same on every run. */
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHANUMERIC =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  /** What Vault's KV version 1 answers as {@code lease_duration}: a refresh hint, not a lease. */
  private static final long KV1_TTL_HINT_SECONDS = Duration.ofDays(32).toSeconds();

  private final ServiceAccountTokens tokens;
  private final Clock clock;
  private final HttpServer server;
  private final ExecutorService executor;
  private final String address;

  // guarded by this
  private final Map<String, Namespace> namespaces = new HashMap<>();
  private final Map<String, IssuedToken> issuedTokens = new HashMap<>();
  private final Set<String> everIssuedTokens = new HashSet<>();
  private final Map<String, Lease> leases = new LinkedHashMap<>();
  private final Deque<Injected> nextFailures = new ArrayDeque<>();
  private final Map<String, Integer> pathFailures = new LinkedHashMap<>();
  private final Deque<Duration> nextStalls = new ArrayDeque<>();
  private final Map<VaultRequest.Kind, OversizedAnswer> nextOversized = new EnumMap<>(VaultRequest.Kind.class);
  private final Map<VaultRequest.Kind, Long> counts = new EnumMap<>(VaultRequest.Kind.class);
  private final Map<String, Long> readsByPath = new HashMap<>();
  private boolean sealed;

  private final List<VaultRequest> requestLog = new CopyOnWriteArrayList<>();
  private final List<String> serverNames = new CopyOnWriteArrayList<>();
  /** Canned answers by decoded API path, and the last request body per decoded path. */
  private final Map<String, byte[]> verbatim = new HashMap<>();
  private final Map<String, byte[]> lastBodies = new HashMap<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final AtomicInteger credentialCounter = new AtomicInteger();

  private VaultDevServer(Builder builder) throws IOException {
    this.tokens = requireNonNull(builder.tokens, "tokens is null");
    this.clock = builder.clock;
    InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (builder.sslContext == null) {
      server = HttpServer.create(bind, 0);
    } else {
      HttpsServer https = HttpsServer.create(bind, 0);
      boolean needClientAuth = builder.requireClientCertificate;
      https.setHttpsConfigurator(new HttpsConfigurator(builder.sslContext) {
        @Override
        public void configure(HttpsParameters params) {
          SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
          ssl.setNeedClientAuth(needClientAuth);
          // records the SNI each client sends (none for a client that sends none)
          ssl.setSNIMatchers(List.of(new SNIMatcher(StandardConstants.SNI_HOST_NAME) {
            @Override
            public boolean matches(SNIServerName name) {
              serverNames.add(((SNIHostName) name).getAsciiName());
              return true;
            }
          }));
          params.setSSLParameters(ssl);
        }
      });
      server = https;
    }
    // one thread per request, so that a stalled request does not hold up the others
    executor = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "vault-dev-server");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    String scheme = builder.sslContext == null ? "http" : "https";
    address = scheme + "://127.0.0.1:" + server.getAddress().getPort();
  }

  /** A builder for a server verifying pod tokens minted by {@code tokens}. */
  public static Builder builder(ServiceAccountTokens tokens) {
    return new Builder(tokens);
  }

  /** Starts a plain-HTTP server on loopback. */
  public static VaultDevServer start(ServiceAccountTokens tokens, Clock clock) throws IOException {
    return builder(tokens).clock(clock).start();
  }

  /** Options of a {@link VaultDevServer}. */
  public static final class Builder {
    private final ServiceAccountTokens tokens;
    private Clock clock = Clock.systemUTC();
    private SSLContext sslContext;
    private boolean requireClientCertificate;

    private Builder(ServiceAccountTokens tokens) {
      this.tokens = requireNonNull(tokens, "tokens is null");
    }

    /** The clock for token and lease times; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock is null");
      return this;
    }

    /** Serve HTTPS with this context (its key manager holds the server certificate). */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = requireNonNull(sslContext, "sslContext is null");
      return this;
    }

    /** With HTTPS, refuse clients without a certificate the context's trust manager accepts. */
    public Builder requireClientCertificate() {
      this.requireClientCertificate = true;
      return this;
    }

    /** Binds 127.0.0.1 on a free port and starts serving. */
    public VaultDevServer start() throws IOException {
      return new VaultDevServer(this);
    }
  }

  /** The address a client uses, e.g. {@code http://127.0.0.1:43117}. */
  public String address() {
    return address;
  }

  // ---------------------------------------------------------------- setup

  /** Adds a role to auth mount {@code authMount} (e.g. {@code kubernetes}, {@code jwt}) of the root namespace. */
  public VaultDevServer addRole(String authMount, VaultRole role) {
    return addRole("", authMount, role);
  }

  /** Adds a role to an auth mount of {@code namespace}. */
  public synchronized VaultDevServer addRole(String namespace, String authMount, VaultRole role) {
    requireNonNull(role, "role is null");
    namespace(namespace).roles.put(trimSlashes(authMount) + "\0" + role.name(), role);
    return this;
  }

  /**
   * Defines a policy granting every operation on paths matching one of {@code pathGlobs} (exact,
   * or a prefix ending in {@code *}). A token is allowed a path when one of its policies grants
   * it; a policy name that was never defined grants everything.
   */
  public synchronized VaultDevServer definePolicy(String namespace, String name, String... pathGlobs) {
    requireNonNull(name, "name is null");
    namespace(namespace).policies.put(name, List.of(pathGlobs));
    return this;
  }

  /** Mounts a KV engine of {@code version} 1 or 2 at {@code mount} in {@code namespace}. */
  public synchronized VaultDevServer mountKv(String namespace, String mount, int version) {
    if (version != 1 && version != 2) {
      throw new IllegalArgumentException("KV version is " + version + ", must be 1 or 2");
    }
    namespace(namespace).mounts.put(trimSlashes(mount), version == 1 ? Engine.KV1 : Engine.KV2);
    return this;
  }

  /** Writes a secret in the root namespace; see {@link #kvPut(String, String, String, Map)}. */
  public int kvPut(String mount, String path, Map<String, ?> data) {
    return kvPut("", mount, path, data);
  }

  /**
   * Writes a secret as tests prepare it: on a KV v2 mount a new version (returned), on KV v1 a
   * replacement (returns 0). {@code path} is the secret's path inside the mount, without
   * {@code data/}. Values may be strings, numbers, booleans, maps and lists.
   */
  public synchronized int kvPut(String namespace, String mount, String path, Map<String, ?> data) {
    requireNonNull(data, "data is null");
    Namespace ns = namespace(namespace);
    String mountName = trimSlashes(mount);
    Engine engine = ns.mounts.get(mountName);
    if (engine != Engine.KV1 && engine != Engine.KV2) {
      throw new IllegalArgumentException("no KV mount \"" + mountName + "\" in namespace \""
          + namespace + "\"; mount one with mountKv");
    }
    ObjectNode node = JSON.valueToTree(data);
    return ns.kv(mountName).put(trimSlashes(path), node, clock.instant());
  }

  /** Adds a database role to mount {@code database} of the root namespace. */
  public VaultDevServer databaseRole(String role, Duration ttl, Duration maxTtl) {
    return databaseRole("", "database", role, ttl, maxTtl);
  }

  /**
   * Adds a database role: each read of {@code <mount>/creds/<role>} mints a new user name and
   * password under a renewable lease of {@code ttl}, renewable up to {@code maxTtl} after issue.
   */
  public synchronized VaultDevServer databaseRole(
      String namespace, String mount, String role, Duration ttl, Duration maxTtl) {
    Namespace ns = namespace(namespace);
    String mountName = trimSlashes(mount);
    ns.mounts.putIfAbsent(mountName, Engine.DATABASE);
    ns.dynamicRoles.put(mountName + "\0" + role, new DynamicRole(ttl, maxTtl, true));
    return this;
  }

  /** Adds a PKI role to mount {@code pki} of the root namespace. */
  public VaultDevServer pkiRole(String role, Duration ttl) {
    return pkiRole("", "pki", role, ttl);
  }

  /**
   * Adds a PKI role as Vault creates one by default ({@code generate_lease=false}):
   * {@code <mount>/issue/<role>} answers certificate-shaped data valid for {@code ttl}, its
   * {@code expiration} in the data, and no lease ({@code lease_id} empty, {@code lease_duration}
   * 0), so a client learns the certificate's lifetime from the certificate alone.
   */
  public synchronized VaultDevServer pkiRole(String namespace, String mount, String role, Duration ttl) {
    return pki(namespace, mount, role, ttl, false);
  }

  /** A PKI role of mount {@code pki} with {@code generate_lease=true}: the answer carries a lease of {@code ttl}. */
  public synchronized VaultDevServer pkiRoleWithLease(String role, Duration ttl) {
    return pki("", "pki", role, ttl, true);
  }

  private VaultDevServer pki(String namespace, String mount, String role, Duration ttl, boolean lease) {
    Namespace ns = namespace(namespace);
    String mountName = trimSlashes(mount);
    ns.mounts.putIfAbsent(mountName, Engine.PKI);
    ns.dynamicRoles.put(mountName + "\0" + role, new DynamicRole(ttl, ttl, lease));
    return this;
  }

  // ---------------------------------------------------------------- failures

  /** The next {@code count} requests, of any kind, answer {@code status} (403, 404, 500, 503 …). */
  public synchronized void failNext(int count, int status) {
    for (int i = 0; i < count; i++) {
      nextFailures.add(new Injected(status));
    }
  }

  /**
   * Every request to an API path starting with {@code pathPrefix} (without {@code /v1/}, e.g.
   * {@code secret/data/app}) answers {@code status} until {@link #clearFailures}.
   */
  public synchronized void failPath(String pathPrefix, int status) {
    pathFailures.put(trimSlashes(pathPrefix), status);
  }

  /** Every request answers {@code 503 {"errors":["Vault is sealed"]}} until {@link #unseal}. */
  public synchronized void seal() {
    sealed = true;
  }

  /** Ends {@link #seal}. */
  public synchronized void unseal() {
    sealed = false;
  }

  /**
   * The next {@code count} requests wait {@code duration} before they are answered (or until the
   * server closes), e.g. to exceed a client's deadline.
   */
  public synchronized void stallNext(int count, Duration duration) {
    for (int i = 0; i < count; i++) {
      nextStalls.add(duration);
    }
  }

  /**
   * The next request of {@code kind} is answered 200 with a body of {@code bytes} bytes, the start
   * of a JSON object that never ends, framed as {@code framing}: what a hostile server a pod named
   * in {@code vaultAddress} might send (issue 13: a 150 MB login answer). The returned handle
   * says how much of it was sent and whether the client closed the connection first.
   */
  public synchronized OversizedAnswer answerOversized(VaultRequest.Kind kind, long bytes,
      OversizedAnswer.Framing framing) {
    OversizedAnswer answer = new OversizedAnswer(bytes, requireNonNull(framing, "framing is null"));
    nextOversized.put(requireNonNull(kind, "kind is null"), answer);
    return answer;
  }

  /** Removes every injected failure and stall and unseals. */
  public synchronized void clearFailures() {
    nextFailures.clear();
    pathFailures.clear();
    nextStalls.clear();
    nextOversized.clear();
    sealed = false;
  }

  /** How many issued Vault tokens are still valid now: neither revoked nor expired. */
  public synchronized long liveTokens() {
    Instant now = clock.instant();
    return issuedTokens.values().stream().filter(token -> !token.expired(now)).count();
  }

  /** How many {@code auth/token/renew-self} calls arrived. */
  public long tokenRenewals() {
    return count(VaultRequest.Kind.TOKEN_RENEW);
  }

  /** How many {@code auth/token/revoke-self} calls arrived. */
  public long tokenRevocations() {
    return count(VaultRequest.Kind.TOKEN_REVOKE);
  }

  /** Revokes every Vault token issued so far, as an operator would; leases stay. */
  public synchronized void revokeAllTokens() {
    issuedTokens.clear();
  }

  // ---------------------------------------------------------------- observation

  /** How many requests of {@code kind} arrived (failed or not). */
  /**
   * Answers every read or write of {@code path} (the API path without {@code /v1/}, decoded, e.g.
   * {@code secret/data/my app}) with exactly {@code json} and status 200, after the usual token
   * and policy checks: for tests that compare files byte for byte with what another client writes
   * for the same answer (number literals, key order and escapes as given).
   */
  public synchronized VaultDevServer answerVerbatim(String path, String json) {
    verbatim.put(trimSlashes(path), json.getBytes(UTF_8));
    return this;
  }

  /** The body of the last request to {@code path} (decoded, without {@code /v1/}), if any. */
  public synchronized Optional<String> lastRequestBody(String path) {
    return Optional.ofNullable(lastBodies.get(trimSlashes(path))).map(b -> new String(b, UTF_8));
  }

  public synchronized long count(VaultRequest.Kind kind) {
    return counts.getOrDefault(kind, 0L);
  }

  /** How many logins arrived. */
  public long logins() {
    return count(VaultRequest.Kind.LOGIN);
  }

  /** How many lease renewals arrived. */
  public long renewals() {
    return count(VaultRequest.Kind.RENEW);
  }

  /** How many lease revocations arrived. */
  public long revocations() {
    return count(VaultRequest.Kind.REVOKE);
  }

  /** How many secret fetches arrived in total. */
  public long reads() {
    return count(VaultRequest.Kind.READ);
  }

  /**
   * How many secret fetches (any method) arrived for {@code path}, without {@code /v1/} and
   * without a query string, in any namespace, e.g. {@code database/creds/app}.
   */
  public synchronized long reads(String path) {
    return readsByPath.getOrDefault(trimSlashes(path), 0L);
  }

  /** The SNI host names TLS clients sent, in order (HTTPS only). */
  public List<String> serverNames() {
    return List.copyOf(serverNames);
  }

  /** Every request so far, in order: method, path, namespace, kind. No tokens, no bodies. */
  public List<VaultRequest> requests() {
    return List.copyOf(requestLog);
  }

  /**
   * Every Vault token this server issued, for {@code LogHygiene} scans that prove a client never
   * logs one. Never print them.
   */
  public synchronized Set<String> issuedClientTokens() {
    return Set.copyOf(everIssuedTokens);
  }

  /** The lease with this id, if it was issued. */
  public synchronized Optional<VaultLease> lease(String leaseId) {
    return Optional.ofNullable(leases.get(leaseId)).map(Lease::view);
  }

  /** Every lease issued so far, in order. */
  public synchronized List<VaultLease> leases() {
    return leases.values().stream().map(Lease::view).toList();
  }

  /** Stops serving and releases stalled requests. */
  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "VaultDevServer[" + address + "]";
  }

  // ---------------------------------------------------------------- HTTP

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Response response;
      try {
        response = respond(exchange);
      } catch (RuntimeException e) {
        response = Response.error(500, "internal error: " + e.getClass().getSimpleName());
      }
      if (response.oversized != null) {
        sendOversized(exchange, response.oversized);
        return;
      }
      byte[] body = response.raw != null ? response.raw
          : response.body == null ? null : JSON.writeValueAsBytes(response.body);
      // the driver insists on exactly "application/json", as Vault sends it
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      if (body == null) {
        exchange.sendResponseHeaders(response.status, -1);
      } else {
        exchange.sendResponseHeaders(response.status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    } catch (IOException e) {
      // the client gave up (e.g. its deadline passed during a stall): nothing to answer
    }
  }

  /** Streams the answer until it is whole or the client closes the connection. */
  private static void sendOversized(HttpExchange exchange, OversizedAnswer answer) {
    byte[] start = "{\"auth\":{\"client_token\":\"".getBytes(UTF_8);
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) 'a');
    try {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200,
          answer.framing() == OversizedAnswer.Framing.CHUNKED ? 0 : answer.bytes());
      OutputStream out = exchange.getResponseBody();
      long left = answer.bytes();
      int first = (int) Math.min(start.length, left);
      out.write(start, 0, first);
      answer.wrote(first);
      left -= first;
      while (left > 0) {
        int n = (int) Math.min(chunk.length, left);
        out.write(chunk, 0, n);
        answer.wrote(n);
        left -= n;
      }
      out.close();
      answer.end(false);
    } catch (IOException e) {
      // the client closed the connection: what a bounded client does
      answer.end(true);
    }
  }

  private Response respond(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
    String rawPath = exchange.getRequestURI().getRawPath();
    String query = exchange.getRequestURI().getRawQuery();
    String namespace = trimSlashes(header(exchange, "X-Vault-Namespace"));
    byte[] requestBody;
    try (InputStream in = exchange.getRequestBody()) {
      requestBody = in.readAllBytes();
    }
    if (!rawPath.startsWith("/v1/")) {
      return Response.error(404, "no handler for route \"" + rawPath + "\"");
    }
    String path = trimSlashes(rawPath.substring("/v1/".length()));
    VaultRequest.Kind kind = kindOf(method, path);
    requestLog.add(new VaultRequest(method, query == null ? path : path + "?" + query, namespace, kind));
    Duration stall;
    synchronized (this) {
      counts.merge(kind, 1L, Long::sum);
      if (kind == VaultRequest.Kind.READ) {
        readsByPath.merge(path, 1L, Long::sum);
      }
      stall = nextStalls.poll();
    }
    if (stall != null) {
      try {
        closed.await(stall.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Response.error(503, "server shutting down");
      }
    }
    synchronized (this) {
      OversizedAnswer oversized = nextOversized.remove(kind);
      if (oversized != null) {
        return new Response(200, null, oversized);
      }
      Optional<Response> injected = injectedFailure(path);
      if (injected.isPresent()) {
        return injected.get();
      }
      JsonNode body = parseBody(requestBody);
      if (body == null) {
        return Response.error(400, "failed to parse JSON input");
      }
      Namespace ns = namespace(namespace);
      if (kind == VaultRequest.Kind.LOGIN) {
        return login(ns, namespace, path, body);
      }
      String clientToken = header(exchange, "X-Vault-Token");
      IssuedToken token = issuedTokens.get(clientToken);
      if (token == null || !token.namespace.equals(namespace) || token.expired(clock.instant())) {
        return Response.error(403, "permission denied");
      }
      // every token may renew and revoke itself, whatever its policies (Vault's default policy)
      if (kind == VaultRequest.Kind.TOKEN_RENEW) {
        return renewSelf(token, body);
      }
      if (kind == VaultRequest.Kind.TOKEN_REVOKE) {
        issuedTokens.remove(clientToken);
        return new Response(204, null);
      }
      if (!ns.allows(token.policies, path)) {
        return Response.error(403, "1 error occurred:\n\t* permission denied\n\n");
      }
      String decoded = trimSlashes(exchange.getRequestURI().getPath().substring("/v1/".length()));
      lastBodies.put(decoded, requestBody);
      byte[] canned = verbatim.get(decoded);
      if (canned != null && (kind == VaultRequest.Kind.READ || kind == VaultRequest.Kind.OTHER)) {
        return new Response(200, null, null, canned);
      }
      return switch (kind) {
        case RENEW -> renew(namespace, path, body);
        case REVOKE -> revoke(namespace, path, body);
        default -> logical(ns, namespace, method, path, query, body);
      };
    }
  }

  private static VaultRequest.Kind kindOf(String method, String path) {
    if (path.startsWith("auth/") && path.endsWith("/login")
        && (method.equals("POST") || method.equals("PUT"))) {
      return VaultRequest.Kind.LOGIN;
    }
    if (path.equals("sys/leases/renew") || path.startsWith("sys/leases/renew/")) {
      return VaultRequest.Kind.RENEW;
    }
    if (path.equals("sys/leases/revoke") || path.startsWith("sys/leases/revoke/")) {
      return VaultRequest.Kind.REVOKE;
    }
    if (path.equals("auth/token/renew-self") && (method.equals("POST") || method.equals("PUT"))) {
      return VaultRequest.Kind.TOKEN_RENEW;
    }
    if (path.equals("auth/token/revoke-self") && (method.equals("POST") || method.equals("PUT"))) {
      return VaultRequest.Kind.TOKEN_REVOKE;
    }
    if (path.startsWith("sys/") || path.startsWith("auth/")) {
      return VaultRequest.Kind.OTHER;
    }
    return VaultRequest.Kind.READ;
  }

  private Optional<Response> injectedFailure(String path) {
    if (sealed) {
      return Optional.of(statusResponse(503, path));
    }
    Injected next = nextFailures.poll();
    if (next != null) {
      return Optional.of(statusResponse(next.status, path));
    }
    for (Map.Entry<String, Integer> failure : pathFailures.entrySet()) {
      if (path.equals(failure.getKey()) || path.startsWith(failure.getKey() + "/")) {
        return Optional.of(statusResponse(failure.getValue(), path));
      }
    }
    return Optional.empty();
  }

  private static Response statusResponse(int status, String path) {
    return switch (status) {
      case 403 -> Response.error(403, "permission denied");
      case 404 -> new Response(404, errors());
      // Vault's http/util.go: fmt.Errorf("request path %q: %w", path, quotas.ErrRateLimitQuotaExceeded)
      case 429 -> Response.error(429, "request path \"" + path + "\": rate limit quota exceeded");
      case 503 -> Response.error(503, "Vault is sealed");
      default -> Response.error(status, "injected failure with status " + status);
    };
  }

  // ---------------------------------------------------------------- auth

  private Response login(Namespace ns, String namespace, String path, JsonNode body) {
    String mount = path.substring("auth/".length(), path.length() - "/login".length());
    String roleName = body.path("role").asText("");
    String jwt = body.path("jwt").asText("");
    if (roleName.isEmpty()) {
      return Response.error(400, "missing role");
    }
    if (jwt.isEmpty()) {
      return Response.error(400, "missing jwt");
    }
    VaultRole role = ns.roles.get(mount + "\0" + roleName);
    if (role == null) {
      return Response.error(400, "invalid role name \"" + roleName + "\"");
    }
    TokenClaims claims;
    try {
      claims = tokens.verify(jwt, role.audience(), clock.instant());
    } catch (InvalidTokenException e) {
      // Vault does not say why a token was refused; neither does this server
      return Response.error(403, "permission denied");
    }
    if (!role.bindsServiceAccount(claims.serviceAccountName())) {
      return Response.error(403, "service account name not authorized");
    }
    if (!role.binds(claims.serviceAccountName(), claims.namespace())) {
      return Response.error(403, "namespace not authorized");
    }
    String clientToken = "hvs." + randomString(24);
    String accessor = randomString(24);
    Instant now = clock.instant();
    Instant expiresAt = role.tokenTtl().isZero() ? null : now.plus(role.tokenTtl());
    Instant maxExpiresAt = role.tokenTtl().isZero() ? null : now.plus(role.tokenMaxTtl());
    issuedTokens.put(clientToken,
        new IssuedToken(namespace, role.policies(), role.tokenTtl(), expiresAt, maxExpiresAt));
    everIssuedTokens.add(clientToken);

    ObjectNode auth = NODES.objectNode();
    auth.put("client_token", clientToken);
    auth.put("accessor", accessor);
    ArrayNode policies = auth.putArray("policies");
    role.policies().forEach(policies::add);
    auth.set("token_policies", policies.deepCopy());
    ObjectNode metadata = auth.putObject("metadata");
    metadata.put("role", roleName);
    metadata.put("service_account_name", claims.serviceAccountName());
    metadata.put("service_account_namespace", claims.namespace());
    metadata.put("service_account_uid", claims.serviceAccountUid());
    auth.put("lease_duration", role.tokenTtl().toSeconds());
    auth.put("renewable", true);
    auth.put("entity_id", UUID.nameUUIDFromBytes(claims.subject().getBytes(UTF_8)).toString());
    auth.put("token_type", "service");
    auth.put("orphan", true);
    ObjectNode envelope = envelope("", 0, false, NullNode.getInstance());
    envelope.set("auth", auth);
    return new Response(200, envelope);
  }

  /** {@code auth/token/renew-self}: extends by {@code increment} (or the role's TTL), never past the max TTL. */
  private Response renewSelf(IssuedToken token, JsonNode body) {
    if (token.expiresAt == null) {
      return Response.error(400, "lease is not renewable");
    }
    long increment;
    try {
      increment = seconds(body.path("increment"));
    } catch (RuntimeException e) {
      return Response.error(400, "invalid increment");
    }
    Instant now = clock.instant();
    Instant newExpiry = now.plus(increment > 0 ? Duration.ofSeconds(increment) : token.ttl);
    if (newExpiry.isAfter(token.maxExpiresAt)) {
      newExpiry = token.maxExpiresAt;
    }
    token.expiresAt = newExpiry;
    ObjectNode auth = NODES.objectNode();
    auth.put("lease_duration", Duration.between(now, newExpiry).toSeconds());
    auth.put("renewable", newExpiry.isBefore(token.maxExpiresAt));
    ObjectNode envelope = envelope("", 0, false, NullNode.getInstance());
    envelope.set("auth", auth);
    return new Response(200, envelope);
  }

  // ---------------------------------------------------------------- leases

  private Response renew(String namespace, String path, JsonNode body) {
    String leaseId = leaseIdOf(path, "sys/leases/renew", body);
    Lease lease = leases.get(leaseId);
    Instant now = clock.instant();
    if (lease == null || !lease.namespace.equals(namespace) || lease.revoked
        || !now.isBefore(lease.expiresAt)) {
      return Response.error(400, "lease not found or lease is not renewable");
    }
    if (!lease.renewable) {
      return Response.error(400, "lease is not renewable");
    }
    long increment;
    try {
      increment = seconds(body.path("increment"));
    } catch (RuntimeException e) {
      return Response.error(400, "invalid increment \"" + body.path("increment").asText() + "\"");
    }
    Duration extension = increment > 0 ? Duration.ofSeconds(increment) : lease.ttl;
    Instant newExpiry = now.plus(extension);
    if (newExpiry.isAfter(lease.maxExpiresAt)) {
      newExpiry = lease.maxExpiresAt;
    }
    lease.expiresAt = newExpiry;
    lease.renewals++;
    long remaining = Duration.between(now, newExpiry).toSeconds();
    return new Response(200, envelope(leaseId, remaining, true, NullNode.getInstance()));
  }

  private Response revoke(String namespace, String path, JsonNode body) {
    String leaseId = leaseIdOf(path, "sys/leases/revoke", body);
    Lease lease = leases.get(leaseId);
    if (lease == null || !lease.namespace.equals(namespace)) {
      return Response.error(400, "invalid lease");
    }
    lease.revoked = true;
    return new Response(204, null);
  }

  private static String leaseIdOf(String path, String endpoint, JsonNode body) {
    if (path.length() > endpoint.length()) {
      return path.substring(endpoint.length() + 1);
    }
    return body.path("lease_id").asText("");
  }

  private static long seconds(JsonNode value) {
    if (value.isNumber()) {
      return value.asLong();
    }
    String text = value.asText("").trim();
    if (text.isEmpty()) {
      return 0;
    }
    if (text.chars().allMatch(Character::isDigit)) {
      return Long.parseLong(text);
    }
    // Vault also accepts Go durations such as "1h" or "90s"
    return Duration.parse("PT" + text.toUpperCase(Locale.ROOT)).toSeconds();
  }

  private Lease newLease(String namespace, String path, DynamicRole role, boolean renewable) {
    String leaseId = path + "/" + randomString(24);
    Instant now = clock.instant();
    Lease lease = new Lease(leaseId, namespace, path, now, role.ttl, now.plus(role.maxTtl), renewable);
    leases.put(leaseId, lease);
    return lease;
  }

  // ---------------------------------------------------------------- secrets engines

  private Response logical(
      Namespace ns, String namespace, String method, String path, String query, JsonNode body) {
    Optional<String> mount = ns.mountOf(path);
    if (mount.isEmpty()) {
      return Response.error(404, "no handler for route \"" + path + "\". route entry not found.");
    }
    String rest = path.length() == mount.get().length() ? "" : path.substring(mount.get().length() + 1);
    Engine engine = ns.mounts.get(mount.get());
    boolean write = method.equals("PUT") || method.equals("POST");
    return switch (engine) {
      case KV1 -> kv1(ns.kv(mount.get()), method, rest, body);
      case KV2 -> kv2(ns.kv(mount.get()), method, rest, query, body);
      case DATABASE -> rest.startsWith("creds/") && method.equals("GET")
          ? databaseCredentials(ns, namespace, mount.get(), rest.substring("creds/".length()), path)
          : unsupported(path);
      case PKI -> rest.startsWith("issue/") && write
          ? pkiIssue(ns, namespace, mount.get(), rest.substring("issue/".length()), path, body)
          : unsupported(path);
    };
  }

  private static Response unsupported(String path) {
    return Response.error(405, "unsupported operation on \"" + path + "\"");
  }

  private Response kv1(KvStore store, String method, String key, JsonNode body) {
    switch (method) {
      case "GET" -> {
        Optional<KvVersion> current = store.current(key);
        if (current.isEmpty()) {
          return new Response(404, errors());
        }
        return new Response(200, envelope("", KV1_TTL_HINT_SECONDS, false, current.get().data.deepCopy()));
      }
      case "PUT", "POST" -> {
        if (!body.isObject()) {
          return Response.error(400, "no data provided");
        }
        store.put(key, (ObjectNode) body, clock.instant());
        return new Response(204, null);
      }
      default -> {
        return unsupported(key);
      }
    }
  }

  private Response kv2(KvStore store, String method, String rest, String query, JsonNode body) {
    if (rest.startsWith("data/")) {
      String key = rest.substring("data/".length());
      if (method.equals("GET")) {
        String requested = queryParameter(query, "version");
        Optional<KvVersion> version = requested == null || requested.equals("0")
            ? store.current(key)
            : parseInt(requested).flatMap(n -> store.version(key, n));
        if (version.isEmpty()) {
          return new Response(404, errors());
        }
        ObjectNode data = NODES.objectNode();
        data.set("data", version.get().data.deepCopy());
        data.set("metadata", versionMetadata(version.get()));
        return new Response(200, envelope("", 0, false, data));
      }
      if (method.equals("PUT") || method.equals("POST")) {
        if (!body.path("data").isObject()) {
          return Response.error(400, "no data provided");
        }
        int n = store.put(key, (ObjectNode) body.get("data"), clock.instant());
        return new Response(200, envelope("", 0, false, versionMetadata(store.version(key, n).orElseThrow())));
      }
    }
    if (rest.startsWith("metadata/") && method.equals("GET")) {
      String key = rest.substring("metadata/".length());
      List<KvVersion> versions = store.versions.get(key);
      if (versions == null) {
        return new Response(404, errors());
      }
      ObjectNode data = NODES.objectNode();
      data.put("current_version", versions.size());
      data.put("oldest_version", 1);
      data.put("created_time", versions.get(0).createdAt.toString());
      data.put("updated_time", versions.get(versions.size() - 1).createdAt.toString());
      data.put("max_versions", 0);
      data.put("cas_required", false);
      data.put("delete_version_after", "0s");
      data.set("custom_metadata", NullNode.getInstance());
      ObjectNode byVersion = data.putObject("versions");
      for (KvVersion v : versions) {
        ObjectNode entry = byVersion.putObject(Integer.toString(v.version));
        entry.put("created_time", v.createdAt.toString());
        entry.put("deletion_time", "");
        entry.put("destroyed", false);
      }
      return new Response(200, envelope("", 0, false, data));
    }
    return unsupported(rest);
  }

  private static ObjectNode versionMetadata(KvVersion version) {
    ObjectNode metadata = NODES.objectNode();
    metadata.put("created_time", version.createdAt.toString());
    metadata.set("custom_metadata", NullNode.getInstance());
    metadata.put("deletion_time", "");
    metadata.put("destroyed", false);
    metadata.put("version", version.version);
    return metadata;
  }

  private Response databaseCredentials(
      Namespace ns, String namespace, String mount, String roleName, String path) {
    DynamicRole role = ns.dynamicRoles.get(mount + "\0" + roleName);
    if (role == null) {
      return Response.error(400, "unknown role: " + roleName);
    }
    Lease lease = newLease(namespace, path, role, true);
    ObjectNode data = NODES.objectNode();
    data.put("username", "v-" + roleName + "-" + credentialCounter.incrementAndGet() + "-" + randomString(8));
    data.put("password", randomString(20));
    return new Response(200, envelope(lease.leaseId, role.ttl.toSeconds(), true, data));
  }

  private Response pkiIssue(
      Namespace ns, String namespace, String mount, String roleName, String path, JsonNode body) {
    DynamicRole role = ns.dynamicRoles.get(mount + "\0" + roleName);
    if (role == null) {
      return Response.error(400, "unknown role: " + roleName);
    }
    String commonName = body.path("common_name").asText("");
    if (commonName.isEmpty()) {
      return Response.error(400, "the common_name field is required, or must be provided in a CSR"
          + " with \"use_csr_common_name\" set to true, unless \"require_cn\" is set to false");
    }
    String serial = serialNumber();
    Instant expiration = clock.instant().plus(role.ttl);
    String ca = pem("CERTIFICATE", "{\"fake\":\"ca\",\"mount\":\"" + mount + "\"}");
    ObjectNode data = NODES.objectNode();
    data.put("certificate", pem("CERTIFICATE", "{\"fake\":\"certificate\",\"cn\":\"" + commonName
        + "\",\"serial\":\"" + serial + "\",\"notAfter\":\"" + expiration + "\"}"));
    data.put("issuing_ca", ca);
    data.putArray("ca_chain").add(ca);
    data.put("private_key", pem("RSA PRIVATE KEY", randomString(48)));
    data.put("private_key_type", "rsa");
    data.put("serial_number", serial);
    data.put("expiration", expiration.getEpochSecond());
    if (!role.generateLease) {
      return new Response(200, envelope("", 0, false, data));
    }
    Lease lease = newLease(namespace, path, role, false);
    return new Response(200, envelope(lease.leaseId, role.ttl.toSeconds(), false, data));
  }

  private static String serialNumber() {
    byte[] bytes = new byte[8];
    RANDOM.nextBytes(bytes);
    StringBuilder serial = new StringBuilder();
    for (byte b : bytes) {
      if (serial.length() > 0) {
        serial.append(':');
      }
      serial.append(String.format("%02x", b));
    }
    return serial.toString();
  }

  private static String pem(String type, String content) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(UTF_8)).encodeToString(content.getBytes(UTF_8))
        + "\n-----END " + type + "-----";
  }

  // ---------------------------------------------------------------- JSON helpers

  /** Vault's response envelope. */
  private static ObjectNode envelope(String leaseId, long leaseDuration, boolean renewable, JsonNode data) {
    ObjectNode envelope = NODES.objectNode();
    envelope.put("request_id", UUID.randomUUID().toString());
    envelope.put("lease_id", leaseId);
    envelope.put("renewable", renewable);
    envelope.put("lease_duration", leaseDuration);
    envelope.set("data", data);
    envelope.set("wrap_info", NullNode.getInstance());
    envelope.set("warnings", NullNode.getInstance());
    envelope.set("auth", NullNode.getInstance());
    return envelope;
  }

  private static ObjectNode errors(String... messages) {
    ObjectNode body = NODES.objectNode();
    ArrayNode errors = body.putArray("errors");
    for (String message : messages) {
      errors.add(message);
    }
    return body;
  }

  private static JsonNode parseBody(byte[] body) {
    if (body.length == 0) {
      return NODES.objectNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static String queryParameter(String query, String name) {
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return pair.substring(eq + 1);
      }
    }
    return null;
  }

  private static Optional<Integer> parseInt(String value) {
    try {
      return Optional.of(Integer.parseInt(value));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String header(HttpExchange exchange, String name) {
    String value = exchange.getRequestHeaders().getFirst(name);
    return value == null ? "" : value;
  }

  private static String trimSlashes(String value) {
    String result = value == null ? "" : value.trim();
    while (result.startsWith("/")) {
      result = result.substring(1);
    }
    while (result.endsWith("/")) {
      result = result.substring(0, result.length() - 1);
    }
    return result;
  }

  private static String randomString(int length) {
    StringBuilder builder = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      builder.append(ALPHANUMERIC.charAt(RANDOM.nextInt(ALPHANUMERIC.length())));
    }
    return builder.toString();
  }

  private Namespace namespace(String name) {
    return namespaces.computeIfAbsent(trimSlashes(name), n -> new Namespace());
  }

  // ---------------------------------------------------------------- state

  private enum Engine { KV1, KV2, DATABASE, PKI }

  private record Injected(int status) {}

  private record DynamicRole(Duration ttl, Duration maxTtl, boolean generateLease) {}

  private record Response(int status, ObjectNode body, OversizedAnswer oversized, byte[] raw) {
    Response(int status, ObjectNode body) {
      this(status, body, null, null);
    }

    Response(int status, ObjectNode body, OversizedAnswer oversized) {
      this(status, body, oversized, null);
    }

    static Response error(int status, String message) {
      return new Response(status, errors(message));
    }
  }

  /** A Vault token: {@code expiresAt} null never expires; renewals move it up to {@code maxExpiresAt}. */
  private static final class IssuedToken {
    final String namespace;
    final List<String> policies;
    final Duration ttl;
    final Instant maxExpiresAt;
    Instant expiresAt;

    IssuedToken(String namespace, List<String> policies, Duration ttl, Instant expiresAt,
        Instant maxExpiresAt) {
      this.namespace = namespace;
      this.policies = policies;
      this.ttl = ttl;
      this.expiresAt = expiresAt;
      this.maxExpiresAt = maxExpiresAt;
    }

    boolean expired(Instant now) {
      return expiresAt != null && !now.isBefore(expiresAt);
    }
  }

  /** Everything a Vault namespace partitions. */
  private static final class Namespace {
    final Map<String, VaultRole> roles = new HashMap<>();
    final Map<String, List<String>> policies = new HashMap<>();
    final Map<String, Engine> mounts = new HashMap<>(Map.of(
        "secret", Engine.KV2, "kv", Engine.KV1, "database", Engine.DATABASE, "pki", Engine.PKI));
    final Map<String, KvStore> kv = new HashMap<>();
    final Map<String, DynamicRole> dynamicRoles = new HashMap<>();

    KvStore kv(String mount) {
      return kv.computeIfAbsent(mount, m -> new KvStore());
    }

    Optional<String> mountOf(String path) {
      String best = null;
      for (String mount : mounts.keySet()) {
        if ((path.equals(mount) || path.startsWith(mount + "/"))
            && (best == null || mount.length() > best.length())) {
          best = mount;
        }
      }
      return Optional.ofNullable(best);
    }

    boolean allows(List<String> tokenPolicies, String path) {
      for (String policy : tokenPolicies) {
        List<String> globs = policies.get(policy);
        if (globs == null) {
          return true;
        }
        for (String glob : globs) {
          if (glob.endsWith("*") ? path.startsWith(glob.substring(0, glob.length() - 1)) : path.equals(glob)) {
            return true;
          }
        }
      }
      return false;
    }
  }

  private record KvVersion(int version, ObjectNode data, Instant createdAt) {}

  private static final class KvStore {
    final Map<String, List<KvVersion>> versions = new TreeMap<>();

    int put(String key, ObjectNode data, Instant now) {
      List<KvVersion> list = versions.computeIfAbsent(key, k -> new ArrayList<>());
      int version = list.size() + 1;
      list.add(new KvVersion(version, data.deepCopy(), now));
      return version;
    }

    Optional<KvVersion> current(String key) {
      List<KvVersion> list = versions.get(key);
      return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.get(list.size() - 1));
    }

    Optional<KvVersion> version(String key, int version) {
      List<KvVersion> list = versions.get(key);
      return list == null || version < 1 || version > list.size()
          ? Optional.empty()
          : Optional.of(list.get(version - 1));
    }
  }

  private static final class Lease {
    final String leaseId;
    final String namespace;
    final String path;
    final Instant issuedAt;
    final Duration ttl;
    final Instant maxExpiresAt;
    final boolean renewable;
    Instant expiresAt;
    int renewals;
    boolean revoked;

    Lease(String leaseId, String namespace, String path, Instant issuedAt, Duration ttl,
        Instant maxExpiresAt, boolean renewable) {
      this.leaseId = leaseId;
      this.namespace = namespace;
      this.path = path;
      this.issuedAt = issuedAt;
      this.ttl = ttl;
      this.maxExpiresAt = maxExpiresAt;
      this.renewable = renewable;
      this.expiresAt = issuedAt.plus(ttl);
    }

    VaultLease view() {
      return new VaultLease(leaseId, namespace, path, issuedAt, expiresAt, renewable, renewals, revoked);
    }
  }
}
