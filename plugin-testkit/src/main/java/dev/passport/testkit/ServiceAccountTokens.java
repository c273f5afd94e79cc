package dev.passport.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Mints pod tokens shaped like the bound service-account tokens kubelet hands a CSI driver, and
 * verifies them the way Vault's jwt auth or Google STS would.
 *
 * <p>A token is an RS256 JWT: header {@code {"alg":"RS256","kid":…}}, claims {@code aud} (a list),
 * {@code exp}, {@code iat}, {@code iss}, {@code jti}, {@code kubernetes.io} ({@code namespace},
 * {@code pod {name, uid}}, {@code serviceaccount {name, uid}}), {@code nbf} and {@code sub} =
 * {@code system:serviceaccount:<ns>:<sa>}. Each instance signs with its own RSA-2048 key and
 * publishes it as a JWKS and an OIDC discovery document, so a fake backend can serve them.
 *
 * <p>Every minted token is remembered ({@link #minted()}) so that {@link LogHygiene} can prove none
 * of them leaked into logs or error messages. Thread-safe.
 */
public final class ServiceAccountTokens {

  /** The issuer of a cluster's service-account tokens when nothing else is configured. */
  public static final String DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();

  private final String issuer;
  private final KeyPair keyPair;
  private final String keyId;
  private final Set<String> minted;

  private ServiceAccountTokens(String issuer, KeyPair keyPair, Set<String> minted) {
    this.issuer = issuer;
    this.keyPair = keyPair;
    this.keyId = keyIdOf((RSAPublicKey) keyPair.getPublic());
    this.minted = minted;
  }

  /** Tokens from {@link #DEFAULT_ISSUER}, signed with a fresh key. */
  public static ServiceAccountTokens create() {
    return create(DEFAULT_ISSUER);
  }

  /** Tokens from {@code issuer} (e.g. a fake OIDC server's URL), signed with a fresh key. */
  public static ServiceAccountTokens create(String issuer) {
    requireNonNull(issuer, "issuer is null");
    if (issuer.isBlank()) {
      throw new IllegalArgumentException("issuer is blank, must be a URL such as " + DEFAULT_ISSUER);
    }
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return new ServiceAccountTokens(
          issuer, generator.generateKeyPair(), ConcurrentHashMap.newKeySet());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot generate RSA-2048 keys", e);
    }
  }

  /**
   * Tokens from {@code issuer} signed with {@code keyPair} (RSA, at least 2048 bits), e.g. a key a
   * test backend or a local Vault's jwt auth was configured with once.
   */
  public static ServiceAccountTokens create(String issuer, KeyPair keyPair) {
    requireNonNull(issuer, "issuer is null");
    requireNonNull(keyPair, "keyPair is null");
    if (issuer.isBlank()) {
      throw new IllegalArgumentException("issuer is blank, must be a URL such as " + DEFAULT_ISSUER);
    }
    if (!(keyPair.getPublic() instanceof RSAPublicKey rsa)
        || rsa.getModulus().bitLength() < 2048) {
      throw new IllegalArgumentException("keyPair must be an RSA key of at least 2048 bits");
    }
    return new ServiceAccountTokens(issuer, keyPair, ConcurrentHashMap.newKeySet());
  }

  /**
   * The same key under another issuer, e.g. to test a backend configured for the wrong cluster.
   * Tokens minted by either instance show up in both {@link #minted()} sets.
   */
  public ServiceAccountTokens withIssuer(String issuer) {
    requireNonNull(issuer, "issuer is null");
    if (issuer.isBlank()) {
      throw new IllegalArgumentException("issuer is blank, must be a URL such as " + DEFAULT_ISSUER);
    }
    return new ServiceAccountTokens(issuer, keyPair, minted);
  }

  /** The {@code iss} claim of every token. */
  public String issuer() {
    return issuer;
  }

  /**
   * The {@code kid} header of every token: base64url(SHA-256(DER public key)), as the API server
   * derives it.
   */
  public String keyId() {
    return keyId;
  }

  /** The key that verifies the tokens. */
  public RSAPublicKey publicKey() {
    return (RSAPublicKey) keyPair.getPublic();
  }

  /**
   * The JWKS the API server serves at {@code /openid/v1/jwks}:
   * {@code {"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":…,"n":…,"e":…}]}}.
   */
  public String jwksJson() {
    ObjectNode key = JSON.createObjectNode();
    key.put("kty", "RSA");
    key.put("alg", "RS256");
    key.put("use", "sig");
    key.put("kid", keyId);
    key.put("n", B64URL.encodeToString(unsigned(publicKey().getModulus())));
    key.put("e", B64URL.encodeToString(unsigned(publicKey().getPublicExponent())));
    ObjectNode jwks = JSON.createObjectNode();
    jwks.putArray("keys").add(key);
    return write(jwks);
  }

  /**
   * The OIDC discovery document the API server serves at
   * {@code /.well-known/openid-configuration}; {@code jwks_uri} is {@code issuer + /openid/v1/jwks}.
   */
  public String openIdConfigurationJson() {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("issuer", issuer);
    doc.put("jwks_uri", stripTrailingSlash(issuer) + "/openid/v1/jwks");
    doc.putArray("response_types_supported").add("id_token");
    doc.putArray("subject_types_supported").add("public");
    doc.putArray("id_token_signing_alg_values_supported").add("RS256");
    return write(doc);
  }

  /**
   * A signed token for {@code pod} and one audience, valid from {@code issuedAt} for {@code ttl}
   * (whole seconds, as JWT times are).
   */
  public String mint(Pod pod, String audience, Instant issuedAt, Duration ttl) {
    requireNonNull(pod, "pod is null");
    requireNonNull(audience, "audience is null");
    requireNonNull(issuedAt, "issuedAt is null");
    requireNonNull(ttl, "ttl is null");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl is " + ttl + ", must be positive");
    }
    long iat = issuedAt.getEpochSecond();
    long exp = iat + Math.max(1, ttl.getSeconds());

    ObjectNode header = JSON.createObjectNode();
    header.put("alg", "RS256");
    header.put("kid", keyId);

    // claim order as the API server writes them (encoding/json sorts struct fields by declaration)
    ObjectNode claims = JSON.createObjectNode();
    claims.putArray("aud").add(audience);
    claims.put("exp", exp);
    claims.put("iat", iat);
    claims.put("iss", issuer);
    claims.put("jti", UUID.randomUUID().toString());
    ObjectNode k8s = claims.putObject("kubernetes.io");
    k8s.put("namespace", pod.namespace());
    ObjectNode podClaim = k8s.putObject("pod");
    podClaim.put("name", pod.name());
    podClaim.put("uid", pod.uid());
    ObjectNode saClaim = k8s.putObject("serviceaccount");
    saClaim.put("name", pod.serviceAccount());
    saClaim.put("uid", serviceAccountUid(pod));
    claims.put("nbf", iat);
    claims.put("sub", pod.serviceAccountUser());

    String signingInput = B64URL.encodeToString(write(header).getBytes(UTF_8)) + "."
        + B64URL.encodeToString(write(claims).getBytes(UTF_8));
    String jwt = signingInput + "." + B64URL.encodeToString(sign(signingInput));
    minted.add(jwt);
    return jwt;
  }

  /** {@link #mint} wrapped with its expiry, as the host hands it to a backend. */
  public ServiceAccountToken token(Pod pod, String audience, Instant issuedAt, Duration ttl) {
    String jwt = mint(pod, audience, issuedAt, ttl);
    return ServiceAccountToken.of(jwt, expiryOf(issuedAt, ttl));
  }

  /**
   * kubelet's {@code csi.storage.k8s.io/serviceAccount.tokens} value:
   * {@code {"<audience>":{"token":"…","expirationTimestamp":"2026-11-26T14:08:00Z"}}}, the
   * timestamp in RFC 3339 with whole seconds.
   */
  public static String tokensJson(Map<String, ServiceAccountToken> byAudience) {
    requireNonNull(byAudience, "byAudience is null");
    ObjectNode root = JSON.createObjectNode();
    // sorted, as Go's encoding/json writes maps
    for (Map.Entry<String, ServiceAccountToken> e : new TreeMap<>(byAudience).entrySet()) {
      ObjectNode status = root.putObject(e.getKey());
      status.put("token", e.getValue().token());
      status.put("expirationTimestamp", DateTimeFormatter.ISO_INSTANT.format(
          e.getValue().expiresAt().truncatedTo(ChronoUnit.SECONDS)));
    }
    return write(root);
  }

  /**
   * Verifies a token as a backend would: signed by this instance's key, from this issuer, for
   * {@code expectedAudience}, and valid at {@code now} ({@code nbf <= now < exp}).
   *
   * @return its claims
   * @throws InvalidTokenException with the reason; the message never contains the token
   */
  public TokenClaims verify(String jwt, String expectedAudience, Instant now)
      throws InvalidTokenException {
    requireNonNull(expectedAudience, "expectedAudience is null");
    requireNonNull(now, "now is null");
    if (jwt == null || jwt.isBlank()) {
      throw new InvalidTokenException("no token");
    }
    String[] parts = jwt.split("\\.", -1);
    if (parts.length != 3) {
      throw new InvalidTokenException(
          "malformed token: " + parts.length + " dot-separated parts, a JWT has 3");
    }
    JsonNode header = decodeJson(parts[0], "header");
    if (!"RS256".equals(header.path("alg").asText())) {
      throw new InvalidTokenException(
          "unsupported alg \"" + header.path("alg").asText() + "\", expected RS256");
    }
    if (!keyId.equals(header.path("kid").asText())) {
      throw new InvalidTokenException("unknown kid \"" + header.path("kid").asText() + "\"");
    }
    if (!signatureValid(parts[0] + "." + parts[1], parts[2])) {
      throw new InvalidTokenException("signature does not verify with key " + keyId);
    }
    JsonNode claims = decodeJson(parts[1], "claims");
    String iss = claims.path("iss").asText();
    if (!issuer.equals(iss)) {
      throw new InvalidTokenException("issuer is \"" + iss + "\", expected \"" + issuer + "\"");
    }
    List<String> audiences = audiencesOf(claims.path("aud"));
    if (!audiences.contains(expectedAudience)) {
      throw new InvalidTokenException(
          "audience " + audiences + " does not include \"" + expectedAudience + "\"");
    }
    Instant exp = Instant.ofEpochSecond(requiredLong(claims, "exp"));
    if (!now.isBefore(exp)) {
      throw new InvalidTokenException("token expired at " + exp + ", now is " + now);
    }
    if (claims.has("nbf")) {
      Instant nbf = Instant.ofEpochSecond(requiredLong(claims, "nbf"));
      if (now.isBefore(nbf)) {
        throw new InvalidTokenException("token not valid before " + nbf + ", now is " + now);
      }
    }
    JsonNode k8s = claims.path("kubernetes.io");
    return new TokenClaims(
        requiredText(claims, "sub"),
        audiences,
        iss,
        exp,
        requiredText(k8s, "namespace"),
        requiredText(k8s.path("pod"), "name"),
        requiredText(k8s.path("pod"), "uid"),
        requiredText(k8s.path("serviceaccount"), "name"),
        requiredText(k8s.path("serviceaccount"), "uid"));
  }

  /** Every token this instance minted so far: the secrets a hygiene scan looks for. */
  public Set<String> minted() {
    return Set.copyOf(minted);
  }

  /** Shows the issuer and key id; never a token or the private key. */
  @Override
  public String toString() {
    return "ServiceAccountTokens[issuer=" + issuer + ", kid=" + keyId + ", minted=" + minted.size()
        + "]";
  }

  /** When a token minted at {@code issuedAt} for {@code ttl} expires, in whole seconds. */
  static Instant expiryOf(Instant issuedAt, Duration ttl) {
    return Instant.ofEpochSecond(issuedAt.getEpochSecond() + Math.max(1, ttl.getSeconds()));
  }

  /**
   * A stable UID per service account: the Pod record has none, and a backend may bind a role to it
   * (Vault's kubernetes auth can alias by UID).
   */
  static String serviceAccountUid(Pod pod) {
    return UUID.nameUUIDFromBytes(
        ("serviceaccount/" + pod.namespace() + "/" + pod.serviceAccount()).getBytes(UTF_8))
        .toString();
  }

  private byte[] sign(String signingInput) {
    try {
      Signature signature = Signature.getInstance("SHA256withRSA");
      signature.initSign(privateKey());
      signature.update(signingInput.getBytes(UTF_8));
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA256withRSA signing failed", e);
    }
  }

  private boolean signatureValid(String signingInput, String encodedSignature)
      throws InvalidTokenException {
    byte[] signatureBytes;
    try {
      signatureBytes = B64URL_DECODER.decode(encodedSignature);
    } catch (IllegalArgumentException e) {
      throw new InvalidTokenException("malformed token: signature is not base64url");
    }
    try {
      Signature signature = Signature.getInstance("SHA256withRSA");
      signature.initVerify(publicKey());
      signature.update(signingInput.getBytes(UTF_8));
      return signature.verify(signatureBytes);
    } catch (java.security.SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA256withRSA verification failed", e);
    }
  }

  private PrivateKey privateKey() {
    return keyPair.getPrivate();
  }

  private static JsonNode decodeJson(String part, String what) throws InvalidTokenException {
    try {
      JsonNode node = JSON.readTree(B64URL_DECODER.decode(part));
      if (node == null || !node.isObject()) {
        throw new InvalidTokenException("malformed token: " + what + " is not a JSON object");
      }
      return node;
    } catch (IllegalArgumentException e) {
      throw new InvalidTokenException("malformed token: " + what + " is not base64url");
    } catch (java.io.IOException e) {
      // Jackson's message would quote the input, which is part of the token
      throw new InvalidTokenException("malformed token: " + what + " is not JSON");
    }
  }

  private static List<String> audiencesOf(JsonNode aud) throws InvalidTokenException {
    List<String> audiences = new ArrayList<>();
    if (aud.isTextual()) {
      audiences.add(aud.asText());
    } else if (aud.isArray()) {
      for (Iterator<JsonNode> it = aud.elements(); it.hasNext(); ) {
        audiences.add(it.next().asText());
      }
    } else {
      throw new InvalidTokenException("malformed token: aud is missing");
    }
    return audiences;
  }

  private static long requiredLong(JsonNode node, String field) throws InvalidTokenException {
    JsonNode value = node.get(field);
    if (value == null || !value.canConvertToLong()) {
      throw new InvalidTokenException("malformed token: claim " + field + " is not a number");
    }
    return value.asLong();
  }

  private static String requiredText(JsonNode node, String field) throws InvalidTokenException {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new InvalidTokenException("malformed token: claim " + field + " is missing");
    }
    return value.asText();
  }

  private static String keyIdOf(RSAPublicKey key) {
    try {
      return B64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /** JWK integers are unsigned big-endian without the sign byte BigInteger adds. */
  private static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      byte[] trimmed = new byte[bytes.length - 1];
      System.arraycopy(bytes, 1, trimmed, 0, trimmed.length);
      return trimmed;
    }
    return bytes;
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }
}
