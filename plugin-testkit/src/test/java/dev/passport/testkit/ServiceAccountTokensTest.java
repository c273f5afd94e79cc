package dev.passport.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceAccountTokensTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T0 = Instant.parse("2026-11-26T14:00:00Z");
  private static final Duration HOUR = Duration.ofHours(1);

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final Pod pod = Pod.of("shop", "web-0", "0b6c4c8e-8f6e-4d3c-9d55-4f0f6f1f2a10", "web");

  @Test
  void verify_tokenJustMinted_returnsThePodsClaims() throws Exception {
    String jwt = tokens.mint(pod, "vault", T0, HOUR);

    TokenClaims claims = tokens.verify(jwt, "vault", T0.plusSeconds(60));

    assertThat(claims.subject()).isEqualTo("system:serviceaccount:shop:web");
    assertThat(claims.audiences()).containsExactly("vault");
    assertThat(claims.issuer()).isEqualTo(ServiceAccountTokens.DEFAULT_ISSUER);
    assertThat(claims.expiresAt()).isEqualTo(T0.plus(HOUR));
    assertThat(claims.namespace()).isEqualTo("shop");
    assertThat(claims.podName()).isEqualTo("web-0");
    assertThat(claims.podUid()).isEqualTo(pod.uid());
    assertThat(claims.serviceAccountName()).isEqualTo("web");
    assertThat(claims.serviceAccountUid()).isNotBlank();
  }

  @Test
  void mint_headerAndClaims_haveKubeletsShape() throws Exception {
    String[] parts = tokens.mint(pod, "vault", T0, HOUR).split("\\.");

    JsonNode header = decode(parts[0]);
    JsonNode claims = decode(parts[1]);

    assertThat(parts).hasSize(3);
    assertThat(fieldNames(header)).containsExactly("alg", "kid");
    assertThat(header.get("alg").asText()).isEqualTo("RS256");
    assertThat(header.get("kid").asText()).isEqualTo(tokens.keyId());
    assertThat(fieldNames(claims))
        .containsExactly("aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub");
    assertThat(claims.get("aud").isArray()).isTrue();
    assertThat(claims.get("aud").get(0).asText()).isEqualTo("vault");
    assertThat(claims.get("iat").asLong()).isEqualTo(T0.getEpochSecond());
    assertThat(claims.get("nbf").asLong()).isEqualTo(T0.getEpochSecond());
    assertThat(claims.get("exp").asLong()).isEqualTo(T0.plus(HOUR).getEpochSecond());
    assertThat(claims.get("sub").asText()).isEqualTo("system:serviceaccount:shop:web");
    JsonNode k8s = claims.get("kubernetes.io");
    assertThat(k8s.get("namespace").asText()).isEqualTo("shop");
    assertThat(k8s.at("/pod/name").asText()).isEqualTo("web-0");
    assertThat(k8s.at("/pod/uid").asText()).isEqualTo(pod.uid());
    assertThat(k8s.at("/serviceaccount/name").asText()).isEqualTo("web");
    assertThat(k8s.at("/serviceaccount/uid").asText()).isNotBlank();
  }

  @Test
  void mint_twoPodsOfOneServiceAccount_shareTheServiceAccountUid() throws Exception {
    Pod other = Pod.of("shop", "web-1", "5a1d0c52-6f0e-4b7f-8a51-3c2a7d2b9e11", "web");

    TokenClaims first = tokens.verify(tokens.mint(pod, "a", T0, HOUR), "a", T0);
    TokenClaims second = tokens.verify(tokens.mint(other, "a", T0, HOUR), "a", T0);

    assertThat(first.serviceAccountUid()).isEqualTo(second.serviceAccountUid());
    assertThat(first.podUid()).isNotEqualTo(second.podUid());
  }

  @Test
  void mint_emptyAudience_isTheApiServersOwnAudience() throws Exception {
    String jwt = tokens.mint(pod, "", T0, HOUR);

    assertThat(tokens.verify(jwt, "", T0).audiences()).containsExactly("");
  }

  @Test
  void verify_wrongAudience_isRejectedNamingBothAudiences() {
    String jwt = tokens.mint(pod, "vault", T0, HOUR);

    assertThatThrownBy(() -> tokens.verify(jwt, "sts.googleapis.com", T0))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("vault")
        .hasMessageContaining("sts.googleapis.com")
        .message().doesNotContain(jwt);
  }

  @Test
  void verify_atExpiry_isRejectedAsExpired() {
    String jwt = tokens.mint(pod, "vault", T0, HOUR);

    assertThatThrownBy(() -> tokens.verify(jwt, "vault", T0.plus(HOUR)))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("expired");
  }

  @Test
  void verify_beforeNotBefore_isRejected() {
    String jwt = tokens.mint(pod, "vault", T0, HOUR);

    assertThatThrownBy(() -> tokens.verify(jwt, "vault", T0.minusSeconds(1)))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("not valid before");
  }

  @Test
  void verify_claimsAlteredAfterSigning_isRejectedForTheSignature() {
    String[] parts = tokens.mint(pod, "vault", T0, HOUR).split("\\.");
    String forgedClaims = Base64.getUrlEncoder().withoutPadding().encodeToString(
        new String(Base64.getUrlDecoder().decode(parts[1]), UTF_8)
            .replace("web-0", "admin-0").getBytes(UTF_8));
    String forged = parts[0] + "." + forgedClaims + "." + parts[2];

    assertThatThrownBy(() -> tokens.verify(forged, "vault", T0))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("signature");
  }

  @Test
  void verify_signedByAnotherKeyUnderThisKid_isRejectedForTheSignature() {
    String[] ours = tokens.mint(pod, "vault", T0, HOUR).split("\\.");
    String[] theirs = ServiceAccountTokens.create().mint(pod, "vault", T0, HOUR).split("\\.");
    String forged = ours[0] + "." + ours[1] + "." + theirs[2];

    assertThatThrownBy(() -> tokens.verify(forged, "vault", T0))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("signature");
  }

  @Test
  void verify_tokenOfAnotherCluster_isRejectedForItsKid() {
    String foreign = ServiceAccountTokens.create().mint(pod, "vault", T0, HOUR);

    assertThatThrownBy(() -> tokens.verify(foreign, "vault", T0))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("kid");
  }

  @Test
  void verify_tokenOfAnotherIssuerWithTheSameKey_isRejectedNamingBothIssuers() {
    ServiceAccountTokens otherCluster = tokens.withIssuer("https://oidc.example.test");
    String jwt = otherCluster.mint(pod, "vault", T0, HOUR);

    assertThatThrownBy(() -> tokens.verify(jwt, "vault", T0))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("https://oidc.example.test")
        .hasMessageContaining(ServiceAccountTokens.DEFAULT_ISSUER);
    assertThat(tokens.minted()).contains(jwt);
  }

  @Test
  void create_withIssuer_mintsAndVerifiesUnderThatIssuer() throws Exception {
    ServiceAccountTokens oidc = ServiceAccountTokens.create("https://oidc.example.test");
    String jwt = oidc.mint(pod, "vault", T0, HOUR);

    assertThat(oidc.issuer()).isEqualTo("https://oidc.example.test");
    assertThat(oidc.verify(jwt, "vault", T0).issuer()).isEqualTo("https://oidc.example.test");
  }

  @Test
  void verify_garbage_isRejectedWithoutEchoingIt() {
    String garbage = "not-a-jwt-secret-value";

    assertThatThrownBy(() -> tokens.verify(garbage, "vault", T0))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("malformed")
        .message().doesNotContain(garbage);
    assertThatThrownBy(() -> tokens.verify("e30.e30.", "vault", T0))
        .isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> tokens.verify("%%%.e30.abc", "vault", T0))
        .isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(() -> tokens.verify("", "vault", T0))
        .isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void token_expiresWhenItsJwtDoes() throws Exception {
    ServiceAccountToken token = tokens.token(pod, "vault", T0, Duration.ofMinutes(10));

    assertThat(token.expiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
    assertThat(tokens.verify(token.token(), "vault", T0).expiresAt()).isEqualTo(token.expiresAt());
    assertThat(token.toString()).doesNotContain(token.token());
  }

  @Test
  void jwksJson_publishesTheVerifyingKey() throws Exception {
    JsonNode jwks = JSON.readTree(tokens.jwksJson());

    JsonNode key = jwks.get("keys").get(0);
    assertThat(jwks.get("keys")).hasSize(1);
    assertThat(key.get("kty").asText()).isEqualTo("RSA");
    assertThat(key.get("alg").asText()).isEqualTo("RS256");
    assertThat(key.get("use").asText()).isEqualTo("sig");
    assertThat(key.get("kid").asText()).isEqualTo(tokens.keyId());
    PublicKey rebuilt = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
        new BigInteger(1, Base64.getUrlDecoder().decode(key.get("n").asText())),
        new BigInteger(1, Base64.getUrlDecoder().decode(key.get("e").asText()))));
    assertThat(rebuilt).isEqualTo(tokens.publicKey());
    assertThat(tokens.publicKey().getModulus().bitLength()).isEqualTo(2048);
  }

  @Test
  void openIdConfigurationJson_pointsAtTheJwksUnderTheIssuer() throws Exception {
    JsonNode doc = JSON.readTree(ServiceAccountTokens.create("https://issuer.test/").openIdConfigurationJson());

    assertThat(doc.get("issuer").asText()).isEqualTo("https://issuer.test/");
    assertThat(doc.get("jwks_uri").asText()).isEqualTo("https://issuer.test/openid/v1/jwks");
    assertThat(doc.get("response_types_supported").get(0).asText()).isEqualTo("id_token");
    assertThat(doc.get("subject_types_supported").get(0).asText()).isEqualTo("public");
    assertThat(doc.get("id_token_signing_alg_values_supported").get(0).asText())
        .isEqualTo("RS256");
  }

  @Test
  void tokensJson_isKubeletsTokenRequestStatusMap() throws Exception {
    Map<String, ServiceAccountToken> byAudience = new LinkedHashMap<>();
    byAudience.put("vault", tokens.token(pod, "vault", T0, HOUR));
    byAudience.put("", tokens.token(pod, "", T0.plusMillis(1500), HOUR));

    JsonNode json = JSON.readTree(ServiceAccountTokens.tokensJson(byAudience));

    assertThat(fieldNames(json)).containsExactly("", "vault");
    assertThat(fieldNames(json.get("vault"))).containsExactly("token", "expirationTimestamp");
    assertThat(json.get("vault").get("token").asText()).isEqualTo(byAudience.get("vault").token());
    assertThat(json.get("vault").get("expirationTimestamp").asText())
        .isEqualTo("2026-11-26T15:00:00Z");
    assertThat(json.get("").get("expirationTimestamp").asText())
        .isEqualTo("2026-11-26T15:00:01Z");
  }

  @Test
  void minted_holdsEveryTokenThisInstanceSigned() {
    String a = tokens.mint(pod, "a", T0, HOUR);
    String b = tokens.token(pod, "b", T0, HOUR).token();

    assertThat(tokens.minted()).containsExactlyInAnyOrder(a, b);
    assertThat(tokens.toString()).doesNotContain(a).doesNotContain(b);
  }

  @Test
  void create_withAGivenKey_signsWithIt() throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    java.security.KeyPair key = generator.generateKeyPair();

    ServiceAccountTokens first = ServiceAccountTokens.create("https://a.test", key);
    ServiceAccountTokens second = ServiceAccountTokens.create("https://a.test", key);

    assertThat(second.keyId()).isEqualTo(first.keyId());
    assertThat(second.verify(first.mint(pod, "x", T0, HOUR), "x", T0).podName()).isEqualTo("web-0");
  }

  @Test
  void mint_nonPositiveTtl_isRejected() {
    assertThatThrownBy(() -> tokens.mint(pod, "a", T0, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ttl");
  }

  private static JsonNode decode(String part) throws Exception {
    return JSON.readTree(Base64.getUrlDecoder().decode(part));
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
