package dev.passport.tools.azure;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * The Key Vault REST API (secrets and keys, with their versions lists) on loopback, vaults told
 * apart by the first path segment ({@code keyVaultEndpoint=https://127.0.0.1:<port>/{vault}}).
 * As the real vault: a request without a bearer token gets 401 with the bearer challenge
 * ({@code WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
 * resource="https://vault.azure.net"}); a token must be one the fake Entra issued for
 * {@code https://vault.azure.net/.default}; errors are Key Vault's JSON ({@code SecretNotFound},
 * {@code KeyNotFound}, {@code Forbidden}, {@code Throttled}). A certificate's secret is what the
 * vault answers on the secrets endpoint: its PFX or PEM, {@code contentType} and {@code kid}.
 */
public final class FakeKeyVault implements AutoCloseable {

  public static final String RESOURCE = "https://vault.azure.net";
  private static final Pattern PATH = Pattern.compile(
      "/([-A-Za-z0-9]+)/(secrets|keys)/([-A-Za-z0-9]+)(?:/([A-Za-z0-9]*))?");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The REST versions Key Vault serves (its data plane, as of the SDK's 2025-07-01). */
  public static final Set<String> API_VERSIONS =
      Set.of("7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01");
  private static final String LATEST_API_VERSION = "2025-07-01";
  private static final int PAGE = 25;

  /** One version of a secret (or of a key: its JSON web key in {@code jwk}). */
  public record Version(String id, String value, String contentType, String kid, boolean enabled,
      long created, ObjectNode jwk) {}

  private final HttpsServer server;
  private final ExecutorService executor;
  private final FakeEntra entra;
  private final String tenant;
  // vault/kind/name → versions, newest last
  private final Map<String, List<Version>> objects = new ConcurrentHashMap<>();
  private final Set<String> denied = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
  private final AtomicInteger challenges = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger throttleNext = new AtomicInteger();
  private final AtomicInteger throttled = new AtomicInteger();
  private final List<String> tokensSeen = new CopyOnWriteArrayList<>();
  private volatile long clock = 1_700_000_000L;
  // a failure every authorized request answers, until recover(): status, code, message
  private volatile String[] failure;
  private final java.util.concurrent.CountDownLatch stalled =
      new java.util.concurrent.CountDownLatch(1);
  private volatile boolean stalling;

  public FakeKeyVault(SSLContext tls, FakeEntra entra, String tenant) throws IOException {
    this.entra = entra;
    this.tenant = tenant;
    this.server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread thread = new Thread(r, "fake-key-vault");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The keyVaultEndpoint template reaching this fake. */
  public String endpointTemplate() {
    return base() + "/{vault}";
  }

  private String base() {
    return "https://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Adds a secret version; returns its version id. */
  public String putSecret(String vault, String name, String value) {
    return put(vault, "secrets", name, value, null, null, null);
  }

  /** Adds a certificate's secret version (contentType application/x-pkcs12 or -pem-file). */
  public String putCertificateSecret(String vault, String name, String value, String contentType) {
    String version = newVersion();
    String kid = base() + "/keys/" + name + "/" + version;
    add(vault, "secrets", name, new Version(version, value, contentType, kid, true, tick(), null));
    return version;
  }

  /** Adds a key version with this JSON web key (kty, n/e or crv/x/y). */
  public String putKey(String vault, String name, ObjectNode jwk) {
    return put(vault, "keys", name, null, null, null, jwk);
  }

  public void disable(String vault, String kind, String name, String version) {
    List<Version> list = objects.get(vault + "/" + kind + "/" + name);
    list.replaceAll(v -> v.id().equals(version)
        ? new Version(v.id(), v.value(), v.contentType(), v.kid(), false, v.created(), v.jwk())
        : v);
  }

  /** Denies {@code clientId} everything in the vault (no role assignment). */
  public void deny(String clientId) {
    denied.add(clientId);
  }

  /** Every authorized request answers {@code status} with Key Vault's error JSON. */
  public void fail(int status, String code, String message) {
    failure = new String[] {String.valueOf(status), code, message};
  }

  /** Every request is held until the fake closes. */
  public void stall() {
    stalling = true;
  }

  public void recover() {
    failure = null;
    stalling = false;
  }

  /**
   * The next {@code n} authorized requests answer 429 {@code Throttled} with {@code Retry-After:
   * 0} (Key Vault names seconds; zero keeps tests from sleeping, and the client's retry count is
   * what they assert).
   */
  public void throttle(int n) {
    throttleNext.set(n);
  }

  /** Requests answered 429 by {@link #throttle}. */
  public int throttled() {
    return throttled.get();
  }

  /** Authorized GETs of one object (item reads and versions lists), by "kind/name". */
  public int reads(String kind, String name) {
    AtomicInteger count = reads.get(kind + "/" + name);
    return count == null ? 0 : count.get();
  }

  public int totalReads() {
    return reads.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  public int challenges() {
    return challenges.get();
  }

  public int requests() {
    return requests.get();
  }

  private String put(String vault, String kind, String name, String value, String contentType,
      String kid, ObjectNode jwk) {
    String version = newVersion();
    add(vault, kind, name, new Version(version, value, contentType, kid, true, tick(), jwk));
    return version;
  }

  private void add(String vault, String kind, String name, Version version) {
    objects.computeIfAbsent(vault + "/" + kind + "/" + name, k -> new CopyOnWriteArrayList<>())
        .add(version);
  }

  private long tick() {
    clock += 60;
    return clock;
  }

  private static String newVersion() {
    return UUID.randomUUID().toString().replace("-", "");
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.incrementAndGet();
      if (stalling) {
        try {
          stalled.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return;
      }
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !auth.startsWith("Bearer ")) {
        challenges.incrementAndGet();
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer authorization=\""
            + entra.authorityHost() + tenant + "\", resource=\"" + RESOURCE + "\"");
        FakeEntra.respond(exchange, 401, error("Unauthorized",
            "AKV10000: Request is missing a Bearer or PoP token."));
        return;
      }
      String token = auth.substring("Bearer ".length());
      tokensSeen.add(token);
      FakeEntra.Issued issued = entra.issued(token);
      if (issued == null || !java.util.List.of(issued.scope().split(" ")).contains(RESOURCE + "/.default")) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer authorization=\""
            + entra.authorityHost() + tenant + "\", resource=\"" + RESOURCE + "\"");
        FakeEntra.respond(exchange, 401, error("Unauthorized",
            "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/" + tenant + "/."));
        return;
      }
      String apiVersion = apiVersion(exchange.getRequestURI().getRawQuery());
      if (apiVersion == null) {
        FakeEntra.respond(exchange, 400, error("BadParameter",
            "The request URI contains an invalid or missing api-version."));
        return;
      }
      if (!API_VERSIONS.contains(apiVersion)) {
        FakeEntra.respond(exchange, 400, error("BadParameter", "The specified version ("
            + apiVersion + ") is not recognized. Consider using the latest supported version ("
            + LATEST_API_VERSION + ")."));
        return;
      }
      String path = exchange.getRequestURI().getPath();
      boolean versions = path.endsWith("/versions");
      Matcher m = PATH.matcher(versions ? path.substring(0, path.length() - "/versions".length())
          : path);
      if (!m.matches() || !"GET".equals(exchange.getRequestMethod())) {
        FakeEntra.respond(exchange, 400, error("BadParameter", "Unsupported request."));
        return;
      }
      String vault = m.group(1);
      String kind = m.group(2);
      String name = m.group(3);
      // Key Vault reads "secrets/<name>/" (the SDK's empty version) as the newest
      String version = m.group(4) == null || m.group(4).isEmpty() ? null : m.group(4);
      if (denied.contains(issued.clientId())) {
        FakeEntra.respond(exchange, 403, forbidden(issued.clientId(), kind, vault));
        return;
      }
      String[] failing = failure;
      if (failing != null) {
        if (failing[0].equals("429")) {
          exchange.getResponseHeaders().set("Retry-After", "0");
        }
        FakeEntra.respond(exchange, Integer.parseInt(failing[0]), error(failing[1], failing[2]));
        return;
      }
      if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throttled.incrementAndGet();
        exchange.getResponseHeaders().set("Retry-After", "0");
        FakeEntra.respond(exchange, 429, error("Throttled", "Request was not processed because"
            + " too many requests were received. Reason: A1"));
        return;
      }
      reads.computeIfAbsent(kind + "/" + name, k -> new AtomicInteger()).incrementAndGet();
      List<Version> list = objects.get(vault + "/" + kind + "/" + name);
      if (versions) {
        if (list == null) {
          FakeEntra.respond(exchange, 404, notFound(kind, name));
          return;
        }
        // Key Vault pages versions 25 at a time, the next page at nextLink
        int from = skipToken(exchange.getRequestURI().getRawQuery());
        int to = Math.min(list.size(), from + PAGE);
        ArrayNode value = JSON.createArrayNode();
        for (Version v : list.subList(Math.min(from, to), to)) {
          ObjectNode item = value.addObject().put(kind.equals("keys") ? "kid" : "id",
              base() + "/" + kind + "/" + name + "/" + v.id());
          item.set("attributes", attributes(v));
          if (v.contentType() != null) {
            item.put("contentType", v.contentType());
          }
        }
        ObjectNode page = JSON.createObjectNode();
        page.set("value", value);
        if (to < list.size()) {
          page.put("nextLink", base() + path + "?api-version=" + apiVersion + "&maxresults="
              + PAGE + "&$skiptoken=" + to);
        } else {
          page.putNull("nextLink");
        }
        FakeEntra.respond(exchange, 200, page.toString());
        return;
      }
      Version found = null;
      if (list != null) {
        for (Version v : list) {
          if (version == null ? v.enabled() : v.id().equals(version)) {
            found = v;
          }
        }
      }
      if (found == null) {
        FakeEntra.respond(exchange, 404, notFound(kind, name));
        return;
      }
      ObjectNode body = JSON.createObjectNode();
      String id = base() + "/" + kind + "/" + name + "/" + found.id();
      if (kind.equals("keys")) {
        ObjectNode key = found.jwk().deepCopy().put("kid", id);
        body.set("key", key);
      } else {
        body.put("value", found.value()).put("id", id);
        if (found.contentType() != null) {
          body.put("contentType", found.contentType());
        }
        if (found.kid() != null) {
          body.put("kid", found.kid()).put("managed", true);
        }
      }
      body.set("attributes", attributes(found));
      body.set("tags", JSON.createObjectNode());
      FakeEntra.respond(exchange, 200, body.toString());
    }
  }

  /** This fake's {@code $skiptoken}: the offset of the page (Key Vault's is opaque). */
  private static int skipToken(String rawQuery) {
    if (rawQuery != null) {
      for (String pair : rawQuery.split("&")) {
        if (pair.startsWith("$skiptoken=") || pair.startsWith("%24skiptoken=")) {
          try {
            return Math.max(0, Integer.parseInt(pair.substring(pair.indexOf('=') + 1)));
          } catch (NumberFormatException e) {
            return 0;
          }
        }
      }
    }
    return 0;
  }

  /** The api-version query parameter, or null when the query has none. */
  private static String apiVersion(String rawQuery) {
    if (rawQuery == null) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.startsWith("api-version=")) {
        return java.net.URLDecoder.decode(pair.substring("api-version=".length()),
            java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static ObjectNode attributes(Version v) {
    return JSON.createObjectNode().put("enabled", v.enabled()).put("created", v.created())
        .put("updated", v.created()).put("recoveryLevel", "Recoverable+Purgeable")
        .put("recoverableDays", 90);
  }

  private static String notFound(String kind, String name) {
    return kind.equals("keys")
        ? error("KeyNotFound", "A key with (name/id) " + name + " was not found in this key"
            + " vault. If you recently deleted this key you may be able to recover it using the"
            + " correct recovery command. For help resolving this issue, please see"
            + " https://go.microsoft.com/fwlink/?linkid=2125182")
        : error("SecretNotFound", "A secret with (name/id) " + name + " was not found in this key"
            + " vault. If you recently deleted this secret you may be able to recover it using"
            + " the correct recovery command. For help resolving this issue, please see"
            + " https://go.microsoft.com/fwlink/?linkid=2125182");
  }

  private static String forbidden(String clientId, String kind, String vault) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error").put("code", "Forbidden").put("message",
        "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny"
            + " assignments or role definitions were changed recently, please observe propagation"
            + " time.\r\nCaller: appid=" + clientId + ";oid=" + UUID.randomUUID()
            + "\r\nAction: 'Microsoft.KeyVault/vaults/" + kind + "/"
            + (kind.equals("keys") ? "read" : "getSecret") + "/action'\r\nResource: '/"
            + vault + "'\r\nAssignment: (not found)\r\nVault: " + vault + ";location=eastus\r\n");
    error.putObject("innererror").put("code", "ForbiddenByRbac");
    return body.toString();
  }

  private static String error(String code, String message) {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("error").put("code", code).put("message", message);
    return body.toString();
  }

  /** Base64url without padding, as JSON web keys carry numbers. */
  public static String b64url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public void close() {
    stalled.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
