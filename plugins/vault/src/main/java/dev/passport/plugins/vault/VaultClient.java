package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.INTERNAL;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.rest.Rest;
import io.github.jopenlibs.vault.rest.RestException;
import io.github.jopenlibs.vault.rest.RestResponse;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/**
 * Vault calls through vault-java-driver: login, secret reads and writes, lease renewal and
 * revocation. Knows nothing of volumes or caching; every call takes the fetch deadline.
 */
final class VaultClient {

  /**
   * Created on first use (issue 22): a node that loads the plugin but mounts no Vault volume pays
   * no ObjectMapper (~400 classes of Jackson databind in this plugin's loader).
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  /**
   * The driver announces every namespaced client at INFO through java.util.logging; one client is
   * made per call, so that would be a line per Vault request. Held here so the level sticks.
   */
  private static final java.util.logging.Logger DRIVER_LOG =
      java.util.logging.Logger.getLogger("io.github.jopenlibs.vault.VaultImpl");

  static {
    DRIVER_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  /** Where to send a call: address, namespace and TLS. */
  record Endpoint(String address, Optional<String> namespace, TlsSettings tls) {}

  /**
   * A Vault token from a login or renewal, with its TTL ({@link Duration#ZERO}: does not expire)
   * and whether Vault lets it be renewed.
   */
  record Login(String clientToken, Duration ttl, boolean renewable) {
    @Override
    public String toString() {
      return "Login[clientToken=<redacted>, ttl=" + ttl + ", renewable=" + renewable + "]";
    }
  }

  /** A successful answer: the response JSON and its lease fields. */
  record Answer(JsonNode body, String leaseId, long leaseDuration, boolean renewable) {
    boolean leased() {
      return !leaseId.isEmpty() && leaseDuration > 0;
    }
  }

  /** Vault answers a revocation with 204 and no body; a proxy's error page fits too. */
  static final long REVOKE_ANSWER_LIMIT = 64 * 1024;

  private final VaultPluginConfig config;
  private final Clock clock;
  private final Map<TlsSettings, Transport> transports = new ConcurrentHashMap<>();

  VaultClient(VaultPluginConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  /** {@code auth/<mount>/login} with {@code {role, jwt}}: Kubernetes and JWT auth share it. */
  Login login(Endpoint endpoint, String mount, String role, String jwt, Instant deadline,
      ByteBudget budget) throws BackendException {
    String what = "the login to auth/" + mount + " with role \"" + role + "\" at " + endpoint.address()
        + namespaceSuffix(endpoint);
    try {
      AuthResponse response = call(endpoint, null, deadline, budget,
          vault -> vault.auth().loginByJwt("kubernetes", role, jwt, "auth/" + mount));
      String token = response.getAuthClientToken();
      if (token == null || token.isEmpty()) {
        throw new BackendException(INTERNAL, "Vault answered " + what + " without a client_token");
      }
      return new Login(token, Duration.ofSeconds(Math.max(0, response.getAuthLeaseDuration())),
          response.isAuthRenewable());
    } catch (VaultException e) {
      int status = e.getHttpStatusCode();
      if (status == 400 || status == 403) {
        // Vault answers 400 for an unknown role or a refused audience, 403 for a refused token
        List<String> errors = VaultErrors.errorsOf(e);
        throw new BackendException(BackendException.Kind.PERMISSION_DENIED, VaultErrors.scrub(
            "Vault refused " + what + " (HTTP " + status + ")"
                + (errors.isEmpty() ? "" : ": " + String.join("; ", errors))
                + "; check that the role exists and binds this pod's service account, namespace"
                + " and token audience (a role without an audience accepts only the API server's"
                + " own: set the volume attribute audience to \"\" or " + VaultPluginConfig.DEFAULT_AUDIENCE
                + "= in " + VaultPluginConfig.FILE + ")", List.of(jwt)));
      }
      throw VaultErrors.forException(e, what, List.of(jwt));
    }
  }

  /**
   * One object's request: GET reads, a write POSTs {@code secretArgs} (e.g. pki/issue), as the
   * driver's {@code logical()} does. It goes through the driver's {@link Rest} rather than {@code
   * logical()}: {@code LogicalResponse} decodes and parses the body twice and re-serializes nested
   * objects, so a KV answer near the volume limit was held about nine times at once; this way the
   * body is read once, parsed once, and dropped before the content is extracted (bench/README.md
   * P7, "copy factor per plugin").
   */
  Answer request(Endpoint endpoint, String token, SecretObject object, Instant deadline,
      ByteBudget budget) throws BackendException {
    String what = (object.method().equals("GET") ? "reading " : "writing to ") + object.apiPath()
        + " at " + endpoint.address() + namespaceSuffix(endpoint);
    Transport transport = transport(endpoint.tls());
    RestResponse response;
    try {
      Rest rest = new Rest(transport.httpClient)
          .url(endpoint.address() + "/v1/" + object.apiPath())
          .header("X-Vault-Token", token)
          .header("X-Vault-Namespace", endpoint.namespace().orElse(null))
          .header("X-Vault-Request", "true")
          .readTimeoutSeconds(remainingSeconds(deadline));
      if (object.method().equals("GET")) {
        response = transport.httpClient.within(budget, rest::get);
      } else {
        rest.header("Content-Type", "application/json")
            .body(object.requestBody());
        response = transport.httpClient.within(budget, rest::post);
      }
    } catch (RestException e) {
      throw VaultErrors.forException(new VaultException(e), what, List.of(token));
    }
    int status = response.getStatus();
    byte[] body = response.getBody();
    response = null; // the body alone is parsed below; nothing else of the answer is kept
    if (status != 200 && status != 204) {
      BackendException failure = VaultErrors.forStatus(status, VaultErrors.errorsOf(body), what);
      throw new BackendException(failure.kind(), VaultErrors.scrub(failure.getMessage(), List.of(token)));
    }
    try {
      JsonNode json = status == 204 || body.length == 0 ? Json.MAPPER.createObjectNode() : GoJson.read(body);
      return new Answer(json, json.path("lease_id").asText(""), json.path("lease_duration").asLong(0),
          json.path("renewable").asBoolean(false));
    } catch (IOException e) {
      throw new BackendException(INTERNAL, "Vault's answer to " + what + " is not JSON");
    }
  }

  /** {@code sys/leases/renew}; returns the new lease duration in seconds. */
  long renew(Endpoint endpoint, String token, String leaseId, long increment, Instant deadline,
      ByteBudget budget) throws BackendException {
    String what = "renewing a lease of " + leasePath(leaseId) + " at " + endpoint.address()
        + namespaceSuffix(endpoint);
    ObjectNode body = Json.MAPPER.createObjectNode().put("lease_id", leaseId).put("increment", increment);
    RestResponse response = leaseCall(endpoint, token, "renew", body, deadline, budget, what);
    if (response.getStatus() != 200) {
      throw failed(response, what, token);
    }
    try {
      return Json.MAPPER.readTree(response.getBody()).path("lease_duration").asLong(0);
    } catch (IOException e) {
      throw new BackendException(INTERNAL, "Vault's answer to " + what + " is not JSON");
    }
  }

  /**
   * {@code auth/token/renew-self} asking for {@code increment} more; returns the token with the
   * TTL Vault granted (shorter than asked near the token's max TTL).
   */
  Login renewSelf(Endpoint endpoint, String token, Duration increment, Instant deadline,
      ByteBudget budget) throws BackendException {
    String what = "renewing the pod's Vault token at " + endpoint.address() + namespaceSuffix(endpoint);
    ObjectNode body = Json.MAPPER.createObjectNode().put("increment", increment.toSeconds() + "s");
    RestResponse response = put(endpoint, token, "auth/token/renew-self", body, deadline, budget, what);
    if (response.getStatus() != 200) {
      throw failed(response, what, token);
    }
    try {
      JsonNode auth = Json.MAPPER.readTree(response.getBody()).path("auth");
      return new Login(token, Duration.ofSeconds(Math.max(0, auth.path("lease_duration").asLong(0))),
          auth.path("renewable").asBoolean(false));
    } catch (IOException e) {
      throw new BackendException(INTERNAL, "Vault's answer to " + what + " is not JSON");
    }
  }

  /** {@code auth/token/revoke-self}: a replaced or released Vault token ends now, not at its TTL. */
  void revokeSelf(Endpoint endpoint, String token, Instant deadline) throws BackendException {
    String what = "revoking a replaced Vault token at " + endpoint.address() + namespaceSuffix(endpoint);
    RestResponse response = put(endpoint, token, "auth/token/revoke-self", Json.MAPPER.createObjectNode(),
        deadline, ByteBudget.limitedTo(REVOKE_ANSWER_LIMIT), what);
    if (response.getStatus() != 204 && response.getStatus() != 200) {
      throw failed(response, what, token);
    }
  }

  /** {@code sys/leases/revoke}; unpublish has no fetch budget, so Vault's answer gets a small one. */
  void revoke(Endpoint endpoint, String token, String leaseId, Instant deadline) throws BackendException {
    String what = "revoking a lease of " + leasePath(leaseId) + " at " + endpoint.address()
        + namespaceSuffix(endpoint);
    ObjectNode body = Json.MAPPER.createObjectNode().put("lease_id", leaseId);
    RestResponse response = leaseCall(endpoint, token, "revoke", body, deadline,
        ByteBudget.limitedTo(REVOKE_ANSWER_LIMIT), what);
    if (response.getStatus() != 204 && response.getStatus() != 200) {
      throw failed(response, what, token);
    }
  }

  /**
   * A lease call through the driver's {@link Rest} on this plugin's HTTP client. The driver's own
   * {@code leases()} builds a fresh client per call, which neither shares our TLS setup nor reads
   * through the byte budget, so it is not used.
   */
  private RestResponse leaseCall(Endpoint endpoint, String token, String operation, ObjectNode body,
      Instant deadline, ByteBudget budget, String what) throws BackendException {
    return put(endpoint, token, "sys/leases/" + operation, body, deadline, budget, what);
  }

  private RestResponse put(Endpoint endpoint, String token, String apiPath, ObjectNode body,
      Instant deadline, ByteBudget budget, String what) throws BackendException {
    Transport transport = transport(endpoint.tls());
    try {
      Rest rest = new Rest(transport.httpClient)
          .url(endpoint.address() + "/v1/" + apiPath)
          .header("X-Vault-Token", token)
          .header("X-Vault-Namespace", endpoint.namespace().orElse(null))
          .header("X-Vault-Request", "true")
          .header("Content-Type", "application/json")
          .body(Json.MAPPER.writeValueAsBytes(body))
          .readTimeoutSeconds(remainingSeconds(deadline));
      return transport.httpClient.within(budget, rest::put);
    } catch (RestException e) {
      throw VaultErrors.forException(new VaultException(e), what, List.of(token));
    } catch (IOException e) {
      throw new BackendException(INTERNAL, "cannot encode the request for " + what);
    }
  }

  private static BackendException failed(RestResponse response, String what, String token) {
    BackendException failure = VaultErrors.forStatus(response.getStatus(),
        VaultErrors.errorsOf(response.getBody()), what);
    return new BackendException(failure.kind(), VaultErrors.scrub(failure.getMessage(), List.of(token)));
  }

  /** A lease id is {@code <path>/<id>}; the path is enough for a message. */
  private static String leasePath(String leaseId) {
    int slash = leaseId.lastIndexOf('/');
    return slash < 0 ? "(unnamed)" : leaseId.substring(0, slash);
  }

  private static String namespaceSuffix(Endpoint endpoint) {
    return endpoint.namespace().map(ns -> " in namespace " + ns).orElse("");
  }

  /** A driver call: every HTTP answer it reads is charged to {@code budget}. */
  private <T> T call(Endpoint endpoint, String token, Instant deadline, ByteBudget budget,
      DriverCall<T> call) throws BackendException, VaultException {
    Transport transport = transport(endpoint.tls());
    Vault vault = vault(endpoint, token, deadline, transport);
    return transport.httpClient.within(budget, () -> call.run(vault));
  }

  @FunctionalInterface
  private interface DriverCall<T> {
    T run(Vault vault) throws VaultException;
  }

  private Vault vault(Endpoint endpoint, String token, Instant deadline, Transport transport)
      throws BackendException {
    try {
      VaultConfig vaultConfig = new VaultConfig()
          // the driver would otherwise read VAULT_ADDR/VAULT_TOKEN from the node's environment
          .environmentLoader(NO_ENVIRONMENT)
          .address(endpoint.address())
          .engineVersion(1) // paths are sent as given: secretPath already names data/ for KV v2
          .openTimeout(seconds(config.connectTimeout()))
          .readTimeout(remainingSeconds(deadline))
          .httpClient(transport.httpClient);
      if (token != null) {
        vaultConfig.token(token);
      }
      if (endpoint.namespace().isPresent()) {
        vaultConfig.nameSpace(endpoint.namespace().get());
      }
      return Vault.create(vaultConfig.build(), 1);
    } catch (VaultException e) {
      throw new BackendException(INTERNAL, "cannot configure the Vault client for "
          + endpoint.address() + ": " + e.getMessage());
    }
  }

  /** The driver's timeouts are whole seconds: the deadline rounds up, within requestTimeout. */
  private int remainingSeconds(Instant deadline) throws BackendException {
    Duration remaining = Duration.between(clock.instant(), deadline);
    if (remaining.isNegative() || remaining.isZero()) {
      throw new BackendException(DEADLINE_EXCEEDED,
          "the fetch from Vault ran past its deadline before the next request; retrying");
    }
    Duration bounded = remaining.compareTo(config.requestTimeout()) < 0 ? remaining : config.requestTimeout();
    return seconds(bounded);
  }

  private static int seconds(Duration duration) {
    long millis = Math.max(1, duration.toMillis());
    return (int) Math.min(Integer.MAX_VALUE, (millis + 999) / 1000);
  }

  private Transport transport(TlsSettings tls) throws BackendException {
    String fingerprint = TlsContexts.fingerprint(tls);
    Transport current = transports.get(tls);
    if (current != null && current.fingerprint.equals(fingerprint)) {
      return current;
    }
    // a rotated CA or client certificate file gives a new context
    SSLContext context = TlsContexts.build(tls);
    Transport fresh = new Transport(fingerprint, new BudgetedHttpClient(HttpClient.newBuilder()
        // as the driver does: Vault Agent fails to proxy h2c
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(config.connectTimeout())
        // the default, stated: a redirect must not lead the driver past the allow-list
        .followRedirects(HttpClient.Redirect.NEVER)
        .sslContext(context)
        .build()));
    transports.put(tls, fresh);
    return fresh;
  }

  void close() {
    transports.clear();
  }

  private record Transport(String fingerprint, BudgetedHttpClient httpClient) {}

  private static final EnvironmentLoader NO_ENVIRONMENT = new EnvironmentLoader() {
    private static final long serialVersionUID = 1L;

    @Override
    public String loadVariable(String name) {
      return null;
    }
  };
}
