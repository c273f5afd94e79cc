package dev.passport.plugins.vault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.Pod;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.tools.vault.OversizedAnswer;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRequest;
import dev.passport.tools.vault.VaultRole;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dev server's wire protocol, spoken with a plain HTTP client: Vault's shapes and codes. */
class VaultDevServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final FakeClock clock = FakeClock.at(Instant.parse("2026-11-26T12:00:00Z"));
  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final Pod pod = Pods.pod("shop", "web-0", "web");
  private final HttpClient http = HttpClient.newHttpClient();
  private VaultDevServer vault;

  @BeforeEach
  void start() throws IOException {
    vault = VaultDevServer.start(tokens, clock);
    vault.addRole("kubernetes", VaultRole.of("web", "shop", "web").withPolicies("web"));
    vault.databaseRole("app", Duration.ofMinutes(30), Duration.ofHours(1));
  }

  @AfterEach
  void stop() {
    vault.close();
  }

  @Test
  void login_validPodToken_answersVaultsAuthShape() throws Exception {
    Reply reply = send("POST", "auth/kubernetes/login", "", null, loginBody("web", jwt("vault")));

    assertThat(reply.status).isEqualTo(200);
    assertThat(reply.contentType).isEqualTo("application/json");
    JsonNode auth = reply.json.path("auth");
    assertThat(auth.path("client_token").asText()).startsWith("hvs.");
    assertThat(auth.path("accessor").asText()).isNotEmpty();
    assertThat(auth.path("policies").get(0).asText()).isEqualTo("web");
    assertThat(auth.path("lease_duration").asLong()).isEqualTo(3600);
    assertThat(auth.path("renewable").asBoolean()).isTrue();
    assertThat(reply.json.path("renewable").isBoolean()).isTrue();
    assertThat(vault.logins()).isEqualTo(1);
  }

  @Test
  void login_refusals_answerVaultsErrorShapes() throws Exception {
    assertThat(send("POST", "auth/kubernetes/login", "", null, loginBody("web", jwt("other"))))
        .satisfies(r -> assertThat(r.status).isEqualTo(403))
        .satisfies(r -> assertThat(r.json.path("errors").get(0).asText()).isEqualTo("permission denied"));
    assertThat(send("POST", "auth/kubernetes/login", "", null, loginBody("nope", jwt("vault"))))
        .satisfies(r -> assertThat(r.status).isEqualTo(400))
        .satisfies(r -> assertThat(r.json.path("errors").get(0).asText()).isEqualTo("invalid role name \"nope\""));
    assertThat(send("POST", "auth/kubernetes/login", "", null, "{\"role\":\"web\"}").status).isEqualTo(400);
    assertThat(send("POST", "auth/jwt/login", "", null, loginBody("web", jwt("vault"))).status).isEqualTo(400);
  }

  @Test
  void calls_withoutAValidToken_answerPermissionDenied() throws Exception {
    Reply reply = send("GET", "secret/data/x", "", "hvs.forged", null);

    assertThat(reply.status).isEqualTo(403);
    assertThat(reply.json.path("errors").get(0).asText()).isEqualTo("permission denied");
  }

  @Test
  void kv2_versionsAndMetadata() throws Exception {
    vault.kvPut("secret", "app", Map.of("v", "one"));
    vault.kvPut("secret", "app", Map.of("v", "two"));
    String token = login("");

    assertThat(send("GET", "secret/data/app", "", token, null).json.at("/data/data/v").asText()).isEqualTo("two");
    assertThat(send("GET", "secret/data/app?version=1", "", token, null).json.at("/data/data/v").asText()).isEqualTo("one");
    assertThat(send("GET", "secret/data/app?version=9", "", token, null).status).isEqualTo(404);
    JsonNode metadata = send("GET", "secret/metadata/app", "", token, null).json.path("data");
    assertThat(metadata.path("current_version").asInt()).isEqualTo(2);
    assertThat(metadata.path("versions").has("1")).isTrue();
    Reply written = send("POST", "secret/data/app", "", token, "{\"data\":{\"v\":\"three\"}}");
    assertThat(written.json.at("/data/version").asInt()).isEqualTo(3);
  }

  @Test
  void kv1_writeThenRead() throws Exception {
    String token = login("");

    assertThat(send("PUT", "kv/app", "", token, "{\"k\":\"v\"}").status).isEqualTo(204);
    Reply read = send("GET", "kv/app", "", token, null);

    assertThat(read.json.at("/data/k").asText()).isEqualTo("v");
    assertThat(read.json.path("lease_id").asText()).isEmpty();
  }

  @Test
  void databaseCredentials_renewAndRevoke() throws Exception {
    String token = login("");
    Reply creds = send("GET", "database/creds/app", "", token, null);
    String leaseId = creds.json.path("lease_id").asText();
    assertThat(creds.json.path("renewable").asBoolean()).isTrue();
    assertThat(creds.json.path("lease_duration").asLong()).isEqualTo(1800);
    assertThat(send("GET", "database/creds/app", "", token, null).json.at("/data/username").asText())
        .isNotEqualTo(creds.json.at("/data/username").asText());

    clock.advance(Duration.ofMinutes(40)); // the 30-minute lease has ended
    assertThat(send("PUT", "sys/leases/renew", "", token, "{\"lease_id\":\"" + leaseId + "\"}").status)
        .isEqualTo(400);

    String second = send("GET", "database/creds/app", "", token, null).json.path("lease_id").asText();
    Reply renewed = send("PUT", "sys/leases/renew/" + second, "", token, "{\"increment\":\"1h\"}");
    assertThat(renewed.status).isEqualTo(200);
    // capped at the role's max TTL of one hour after issue
    assertThat(renewed.json.path("lease_duration").asLong()).isEqualTo(3600);
    assertThat(send("PUT", "sys/leases/revoke", "", token, "{\"lease_id\":\"" + second + "\"}").status)
        .isEqualTo(204);
    assertThat(vault.lease(second).orElseThrow().revoked()).isTrue();
    assertThat(vault.renewals()).isEqualTo(2);
    assertThat(vault.revocations()).isEqualTo(1);
  }

  @Test
  void namespaces_partitionTokensAndSecrets() throws Exception {
    vault.addRole("team-a", "kubernetes", VaultRole.of("web", "shop", "web"));
    vault.kvPut("team-a", "secret", "app", Map.of("v", "a"));
    String teamToken = login("team-a");

    assertThat(send("GET", "secret/data/app", "team-a", teamToken, null).json.at("/data/data/v").asText()).isEqualTo("a");
    assertThat(send("GET", "secret/data/app", "", teamToken, null).status).isEqualTo(403);
    assertThat(vault.requests()).extracting(VaultRequest::namespace).contains("team-a", "");
  }

  @Test
  void policies_restrictPaths() throws Exception {
    vault.definePolicy("", "web", "secret/data/web/*");
    vault.kvPut("secret", "web/a", Map.of("v", "1"));
    vault.kvPut("secret", "admin/a", Map.of("v", "1"));
    String token = login("");

    assertThat(send("GET", "secret/data/web/a", "", token, null).status).isEqualTo(200);
    assertThat(send("GET", "secret/data/admin/a", "", token, null).status).isEqualTo(403);
  }

  @Test
  void injectedFailures_answerTheirStatusThenStop() throws Exception {
    vault.failNext(2, 503);
    Reply sealed = send("POST", "auth/kubernetes/login", "", null, loginBody("web", jwt("vault")));
    assertThat(sealed.status).isEqualTo(503);
    assertThat(sealed.json.path("errors").get(0).asText()).isEqualTo("Vault is sealed");
    assertThat(send("POST", "auth/kubernetes/login", "", null, loginBody("web", jwt("vault"))).status).isEqualTo(503);
    assertThat(send("POST", "auth/kubernetes/login", "", null, loginBody("web", jwt("vault"))).status).isEqualTo(200);

    vault.failPath("secret/data/app", 404);
    String token = login("");
    assertThat(send("GET", "secret/data/app", "", token, null).status).isEqualTo(404);
    vault.clearFailures();
    vault.kvPut("secret", "app", Map.of("v", "1"));
    assertThat(send("GET", "secret/data/app", "", token, null).status).isEqualTo(200);
  }

  @Test
  void rateLimited_answers429WithVaultsErrorText() throws Exception {
    String token = login("");
    vault.failPath("secret/data/app", 429);

    Reply limited = send("GET", "secret/data/app", "", token, null);

    assertThat(limited.status).isEqualTo(429);
    // Vault's http/util.go: fmt.Errorf("request path %q: %w", path, quotas.ErrRateLimitQuotaExceeded)
    assertThat(limited.json.path("errors").get(0).asText())
        .isEqualTo("request path \"secret/data/app\": rate limit quota exceeded");
  }

  @Test
  void oversizedAnswer_isSentWholeToAClientThatReadsIt() throws Exception {
    OversizedAnswer answer = vault.answerOversized(VaultRequest.Kind.LOGIN, 1_000_000,
        OversizedAnswer.Framing.CHUNKED);

    HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
            URI.create(vault.address() + "/v1/auth/kubernetes/login"))
        .POST(HttpRequest.BodyPublishers.ofString(loginBody("web", jwt("vault")))).build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).hasSize(1_000_000);
    assertThat(answer.awaitClosedByClient(Duration.ofSeconds(10))).isFalse();
    assertThat(answer.ended()).isTrue();
    assertThat(answer.bytesSent()).isEqualTo(1_000_000);
    assertThat(vault.logins()).isEqualTo(1);
  }

  @Test
  void tokenTtl_followsTheInjectedClock() throws Exception {
    String token = login("");
    vault.kvPut("secret", "app", Map.of("v", "1"));

    clock.advance(Duration.ofMinutes(61));

    assertThat(send("GET", "secret/data/app", "", token, null).status).isEqualTo(403);
  }

  private String login(String namespace) throws Exception {
    return send("POST", "auth/kubernetes/login", namespace, null, loginBody("web", jwt("vault")))
        .json.at("/auth/client_token").asText();
  }

  private String jwt(String audience) {
    return tokens.mint(pod, audience, clock.instant(), Duration.ofHours(1));
  }

  private static String loginBody(String role, String jwt) {
    return "{\"role\":\"" + role + "\",\"jwt\":\"" + jwt + "\"}";
  }

  private Reply send(String method, String path, String namespace, String token, String body)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(vault.address() + "/v1/" + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (!namespace.isEmpty()) {
      request.header("X-Vault-Namespace", namespace);
    }
    if (token != null) {
      request.header("X-Vault-Token", token);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), json);
  }

  private record Reply(int status, String contentType, JsonNode json) {}
}
