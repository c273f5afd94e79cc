package dev.passport.tools.aws;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.passport.testkit.InvalidTokenException;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TokenClaims;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * STS, Secrets Manager, SSM and the EKS Pod Identity agent on one local HTTP port, speaking their
 * wire protocols: STS's query API with XML answers; the JSON 1.1 protocol ({@code X-Amz-Target})
 * of Secrets Manager and SSM, each request's SigV4 signature checked with the temporary
 * credentials this fake issued (and refused with AWS's error shapes otherwise); the agent's
 * {@code GET /v1/credentials} with the pod's token as {@code Authorization}. Endpoints are
 * {@code http://127.0.0.1:<port>/<region>}: the region in the path must match the signature's.
 * Every call is counted, retries included.
 */
public final class FakeAws implements AutoCloseable {

  public static final String ACCOUNT = "111122223333";
  /** The audiences STS and the EKS Pod Identity agent accept (AWS facts, not the plugin's). */
  public static final String IRSA_AUDIENCE = "sts.amazonaws.com";
  public static final String POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com";
  public static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  public record Issued(String accessKeyId, String secretAccessKey, String sessionToken,
      Instant expiration, String role) {}

  public record Version(String id, byte[] binary, String string, List<String> stages) {}

  public record Failure(int status, String code, String message) {}

  private final HttpServer server;
  private final ServiceAccountTokens tokens;
  private final Clock clock;
  /** role ARN → the service account subject its trust policy allows */
  private final Map<String, String> roleTrust = new ConcurrentHashMap<>();
  /** service account subject → role, the pod identity associations */
  private final Map<String, String> associations = new ConcurrentHashMap<>();
  private final Map<String, Issued> issued = new ConcurrentHashMap<>();
  /** region → secret name → versions, newest last */
  private final Map<String, Map<String, List<Version>>> secrets = new ConcurrentHashMap<>();
  /** region → parameter name → values by version number (1-based) and labels */
  private final Map<String, Map<String, List<String>>> parameters = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> labels = new ConcurrentHashMap<>();
  /** operation or object name → the failure it answers */
  private final Map<String, Failure> failures = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Set<String> secretsSeen = ConcurrentHashMap.newKeySet();
  private volatile Duration credentialLifetime = Duration.ofHours(1);
  private volatile boolean stalled;
  private final CountDownLatch released = new CountDownLatch(1);

  public FakeAws(ServiceAccountTokens tokens, Clock clock) throws IOException {
    this.tokens = tokens;
    this.clock = clock;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-aws");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  public String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** aws.properties pointing every endpoint here (the keys as operators write them). */
  public Map<String, String> config() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("stsEndpoint", base() + "/{region}");
    config.put("secretsManagerEndpoint", base() + "/{region}");
    config.put("ssmEndpoint", base() + "/{region}");
    config.put("podIdentityEndpoint", base() + "/v1/credentials");
    config.put("podIdentityEndpointIpv6", base() + "/v1/credentials");
    config.put("requestTimeout", "20s");
    return config;
  }

  /** {@link #config()} plus the service account annotation read against this fake. */
  public Map<String, String> configWithAnnotations(java.nio.file.Path dir) throws IOException {
    java.nio.file.Path token = dir.resolve("driver-token");
    java.nio.file.Files.writeString(token, DRIVER_TOKEN + "\n");
    Map<String, String> config = config();
    config.put("serviceAccountAnnotations", "true");
    config.put("kubernetesApiServer", base());
    config.put("kubernetesTokenFile", token.toString());
    config.put("kubernetesCaFile", dir.resolve("no-ca.crt").toString());
    return config;
  }

  // ---- set up -------------------------------------------------------------------------------

  public void trust(String roleArn, String subject) {
    roleTrust.put(roleArn, subject);
  }

  public void associate(String subject, String roleArn) {
    associations.put(subject, roleArn);
  }

  public void credentialLifetime(Duration lifetime) {
    credentialLifetime = lifetime;
  }

  /** A new AWSCURRENT version of a secret string (the previous one becomes AWSPREVIOUS). */
  public String putSecret(String region, String name, String value) {
    return putSecretVersion(region, name, value, null);
  }

  public String putSecretBinary(String region, String name, byte[] value) {
    return putSecretVersion(region, name, null, value);
  }

  private synchronized String putSecretVersion(String region, String name, String string,
      byte[] binary) {
    List<Version> versions = secrets.computeIfAbsent(region, r -> new ConcurrentHashMap<>())
        .computeIfAbsent(name, n -> new ArrayList<>());
    List<Version> updated = new ArrayList<>();
    for (Version v : versions) {
      List<String> stages = new ArrayList<>(v.stages());
      stages.remove("AWSPREVIOUS");
      if (stages.remove("AWSCURRENT")) {
        stages.add("AWSPREVIOUS");
      }
      updated.add(new Version(v.id(), v.binary(), v.string(), stages));
    }
    String id = java.util.UUID.randomUUID().toString();
    updated.add(new Version(id, binary, string, new ArrayList<>(List.of("AWSCURRENT"))));
    versions.clear();
    versions.addAll(updated);
    if (string != null) {
      secretsSeen.add(string);
    }
    return id;
  }

  public synchronized void labelSecret(String region, String name, String versionId, String stage) {
    List<Version> versions = secrets.get(region).get(name);
    for (int i = 0; i < versions.size(); i++) {
      Version v = versions.get(i);
      if (v.id().equals(versionId)) {
        List<String> stages = new ArrayList<>(v.stages());
        stages.add(stage);
        versions.set(i, new Version(v.id(), v.binary(), v.string(), stages));
      }
    }
  }

  /** A new version of a parameter; returns its number. */
  public synchronized int putParameter(String region, String name, String value) {
    List<String> values = parameters.computeIfAbsent(region, r -> new ConcurrentHashMap<>())
        .computeIfAbsent(name, n -> new ArrayList<>());
    values.add(value);
    secretsSeen.add(value);
    return values.size();
  }

  public void labelParameter(String region, String name, int version, String label) {
    labels.computeIfAbsent(region + "/" + name, k -> new ConcurrentHashMap<>())
        .put(label, String.valueOf(version));
  }

  /** Every later call of {@code operationOrObject} answers this AWS error, until recover(). */
  public void fail(String operationOrObject, int status, String code, String message) {
    failures.put(operationOrObject, new Failure(status, code, message));
  }

  public void recover() {
    failures.clear();
    stalled = false;
  }

  /** Holds every call until close(). */
  public void stall() {
    stalled = true;
  }

  public int calls(String operation) {
    AtomicInteger n = calls.get(operation);
    return n == null ? 0 : n.get();
  }

  /** The reads of one object (any operation, by the name or selector asked). */
  public int reads(String object) {
    return calls("read:" + object);
  }

  /** Credentials and secret values handed out: none may appear in a log. */
  public Set<String> secretsHandedOut() {
    Set<String> all = new java.util.HashSet<>(secretsSeen);
    for (Issued i : issued.values()) {
      all.add(i.secretAccessKey());
      all.add(i.sessionToken());
    }
    return all;
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  // ---- protocol -----------------------------------------------------------------------------

  private void count(String key) {
    calls.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = readBody(exchange.getRequestBody());
      if (stalled) {
        count("stalled");
        released.await(5, TimeUnit.MINUTES);
        return;
      }
      String path = exchange.getRequestURI().getRawPath();
      if (path.startsWith("/api/v1/namespaces/")) {
        serviceAccount(exchange, path);
        return;
      }
      if (path.equals("/v1/credentials")) {
        podIdentity(exchange);
        return;
      }
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      if (target == null && "POST".equals(exchange.getRequestMethod())) {
        sts(exchange, path, body);
        return;
      }
      jsonService(exchange, path, target, body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client went away (a timeout, an aborted call): a lost race, not a fake failure
    }
  }

  private static byte[] readBody(InputStream in) throws IOException {
    return in.readNBytes(1 << 20);
  }

  // STS: Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=…&RoleSessionName=…&WebIdentityToken=…
  private void sts(HttpExchange exchange, String path, byte[] body) throws IOException {
    Map<String, String> form = new HashMap<>();
    for (String pair : new String(body, UTF_8).split("&")) {
      String[] kv = pair.split("=", 2);
      if (kv.length == 2) {
        form.put(URLDecoder.decode(kv[0], UTF_8), URLDecoder.decode(kv[1], UTF_8));
      }
    }
    count("AssumeRoleWithWebIdentity");
    if (!"AssumeRoleWithWebIdentity".equals(form.get("Action"))
        || !"2011-06-15".equals(form.get("Version"))) {
      stsError(exchange, 400, "InvalidAction", "Could not find operation " + form.get("Action")
          + " for version " + form.get("Version"));
      return;
    }
    Failure failure = failures.get("AssumeRoleWithWebIdentity");
    if (failure != null) {
      stsError(exchange, failure.status(), failure.code(), failure.message());
      return;
    }
    String role = form.getOrDefault("RoleArn", "");
    String session = form.getOrDefault("RoleSessionName", "");
    if (!session.matches("[\\w+=,.@-]{2,64}")) {
      stsError(exchange, 400, "ValidationError", "1 validation error detected: Value at"
          + " 'roleSessionName' failed to satisfy constraint");
      return;
    }
    TokenClaims claims;
    try {
      claims = tokens.verify(form.get("WebIdentityToken"), IRSA_AUDIENCE,
          clock.instant());
    } catch (InvalidTokenException e) {
      if (e.getMessage().startsWith("token expired")) {
        stsError(exchange, 400, "ExpiredTokenException", "Token expired: current date/time "
            + clock.instant() + " must be before the expiration date/time");
      } else {
        stsError(exchange, 400, "InvalidIdentityToken", "Couldn't retrieve verification key from"
            + " your identity provider, please reference AssumeRoleWithWebIdentity"
            + " documentation for requirements");
      }
      return;
    }
    String trusted = roleTrust.get(role);
    if (trusted == null || !trusted.equals(claims.subject())) {
      stsError(exchange, 403, "AccessDenied",
          "Not authorized to perform sts:AssumeRoleWithWebIdentity");
      return;
    }
    Issued creds = issue(role);
    String xml = "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/"
        + "2011-06-15/\">\n  <AssumeRoleWithWebIdentityResult>\n"
        + "    <SubjectFromWebIdentityToken>" + claims.subject() + "</SubjectFromWebIdentityToken>\n"
        + "    <Audience>" + IRSA_AUDIENCE + "</Audience>\n"
        + "    <AssumedRoleUser>\n      <Arn>arn:aws:sts::" + ACCOUNT + ":assumed-role/"
        + role.substring(role.indexOf('/') + 1) + "/" + session + "</Arn>\n"
        + "      <AssumedRoleId>AROA" + random(8) + ":" + session + "</AssumedRoleId>\n"
        + "    </AssumedRoleUser>\n    <Credentials>\n"
        + "      <SessionToken>" + creds.sessionToken() + "</SessionToken>\n"
        + "      <SecretAccessKey>" + creds.secretAccessKey() + "</SecretAccessKey>\n"
        + "      <Expiration>" + DateTimeFormatter.ISO_INSTANT.format(creds.expiration())
        + "</Expiration>\n      <AccessKeyId>" + creds.accessKeyId() + "</AccessKeyId>\n"
        + "    </Credentials>\n    <Provider>" + claims.issuer() + "</Provider>\n"
        + "  </AssumeRoleWithWebIdentityResult>\n  <ResponseMetadata>\n    <RequestId>"
        + java.util.UUID.randomUUID() + "</RequestId>\n  </ResponseMetadata>\n"
        + "</AssumeRoleWithWebIdentityResponse>\n";
    send(exchange, 200, "text/xml", xml.getBytes(UTF_8));
  }

  private Issued issue(String role) {
    Issued creds = new Issued("ASIA" + random(8).toUpperCase(), random(20), "IQoJ" + random(40),
        clock.instant().plus(credentialLifetime).truncatedTo(ChronoUnit.SECONDS), role);
    issued.put(creds.accessKeyId(), creds);
    return creds;
  }

  private void stsError(HttpExchange exchange, int status, String code, String message)
      throws IOException {
    String xml = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        + "  <Error>\n    <Type>" + (status >= 500 ? "Receiver" : "Sender") + "</Type>\n"
        + "    <Code>" + code + "</Code>\n    <Message>" + message + "</Message>\n  </Error>\n"
        + "  <RequestId>" + java.util.UUID.randomUUID() + "</RequestId>\n</ErrorResponse>\n";
    send(exchange, status, "text/xml", xml.getBytes(UTF_8));
  }

  public static final String DRIVER_TOKEN = "driver-token-for-the-api-server";
  /** namespace/name → the service account's eks.amazonaws.com/role-arn annotation */
  private final Map<String, String> annotations = new ConcurrentHashMap<>();

  public void annotate(String namespace, String serviceAccount, String roleArn) {
    annotations.put(namespace + "/" + serviceAccount, roleArn);
  }

  // the Kubernetes API's GET /api/v1/namespaces/{ns}/serviceaccounts/{name}, for the annotation
  private void serviceAccount(HttpExchange exchange, String path) throws IOException {
    count("GetServiceAccount");
    String[] parts = path.split("/");
    if (!("Bearer " + DRIVER_TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
      sendJson(exchange, 401, JSON.createObjectNode().put("kind", "Status").put("code", 401)
          .put("reason", "Unauthorized"));
      return;
    }
    if (parts.length != 7 || !parts[5].equals("serviceaccounts")) {
      sendJson(exchange, 404, JSON.createObjectNode().put("kind", "Status").put("code", 404));
      return;
    }
    ObjectNode sa = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ServiceAccount");
    ObjectNode metadata = sa.putObject("metadata").put("name", parts[6])
        .put("namespace", parts[4]);
    String role = annotations.get(parts[4] + "/" + parts[6]);
    if (role != null) {
      metadata.putObject("annotations").put("eks.amazonaws.com/role-arn", role);
    }
    sendJson(exchange, 200, sa);
  }

  private void podIdentity(HttpExchange exchange) throws IOException {
    count("PodIdentity");
    Failure failure = failures.get("PodIdentity");
    if (failure != null) {
      sendJson(exchange, failure.status(), JSON.createObjectNode().put("code", failure.code())
          .put("message", failure.message()));
      return;
    }
    String token = exchange.getRequestHeaders().getFirst("Authorization");
    TokenClaims claims;
    try {
      claims = tokens.verify(token, POD_IDENTITY_AUDIENCE, clock.instant());
    } catch (InvalidTokenException e) {
      sendJson(exchange, 400, JSON.createObjectNode().put("code", "InvalidTokenException")
          .put("message", "Service account token cannot be empty or is invalid"));
      return;
    }
    String role = associations.get(claims.subject());
    if (role == null) {
      sendJson(exchange, 400, JSON.createObjectNode().put("code", "ResourceNotFoundException")
          .put("message", "No pod identity association for this service account"));
      return;
    }
    Issued creds = issue(role);
    sendJson(exchange, 200, JSON.createObjectNode()
        .put("AccessKeyId", creds.accessKeyId())
        .put("SecretAccessKey", creds.secretAccessKey())
        .put("Token", creds.sessionToken())
        .put("AccountId", ACCOUNT)
        .put("Expiration", DateTimeFormatter.ISO_INSTANT.format(creds.expiration())));
  }

  private void jsonService(HttpExchange exchange, String path, String target, byte[] body)
      throws IOException {
    String operation = target == null ? "" : target.substring(target.indexOf('.') + 1);
    String service = target == null ? "" : target.startsWith("secretsmanager.")
        ? "secretsmanager" : target.startsWith("AmazonSSM.") ? "ssm" : "";
    count(operation);
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    if (service.isEmpty() || !"application/x-amz-json-1.1".equals(contentType)) {
      jsonError(exchange, 400, "UnknownOperationException", null);
      return;
    }
    SigV4.Authorization auth = SigV4.parse(exchange.getRequestHeaders().getFirst("Authorization"));
    if (auth == null) {
      jsonError(exchange, 400, "MissingAuthenticationTokenException",
          "Missing Authentication Token");
      return;
    }
    Issued creds = issued.get(auth.accessKeyId());
    if (creds == null) {
      jsonError(exchange, 400, "UnrecognizedClientException",
          "The security token included in the request is invalid.");
      return;
    }
    String expected = SigV4.expected(auth, creds.secretAccessKey(), exchange.getRequestMethod(),
        path, exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders(), body);
    String amzDate = exchange.getRequestHeaders().getFirst("X-Amz-Date");
    if (!expected.equals(auth.signature()) || !auth.service().equals(service)
        || amzDate == null || !amzDate.startsWith(auth.date())
        || !auth.signedHeaders().contains("host") || !auth.signedHeaders().contains("x-amz-date")) {
      jsonError(exchange, 400, "InvalidSignatureException", "The request signature we calculated"
          + " does not match the signature you provided. Check your AWS Secret Access Key and"
          + " signing method. Consult the service documentation for details.");
      return;
    }
    // the SDK signs with the wall clock; AWS allows 5 minutes of skew
    Instant signedAt = Instant.from(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssX")
        .parse(amzDate));
    if (Duration.between(signedAt, Instant.now()).abs().compareTo(Duration.ofMinutes(5)) > 0) {
      jsonError(exchange, 400, "InvalidSignatureException", "Signature expired");
      return;
    }
    if (!creds.sessionToken().equals(exchange.getRequestHeaders().getFirst("X-Amz-Security-Token"))) {
      jsonError(exchange, 400, "UnrecognizedClientException",
          "The security token included in the request is invalid.");
      return;
    }
    if (!clock.instant().isBefore(creds.expiration())) {
      jsonError(exchange, 400, "ExpiredTokenException",
          "The security token included in the request is expired");
      return;
    }
    String region = auth.region();
    if (!path.equals("/" + region) && !path.equals("/" + region + "/")) {
      jsonError(exchange, 400, "InvalidSignatureException", "Credential should be scoped to a"
          + " valid region, not '" + region + "' for endpoint " + path);
      return;
    }
    Failure failure = failures.get(operation);
    if (failure != null) {
      jsonError(exchange, failure.status(), failure.code(), failure.message());
      return;
    }
    JsonNode request = JSON.readTree(body);
    if (operation.equals("GetSecretValue")) {
      getSecretValue(exchange, region, request);
    } else if (operation.equals("GetParameters")) {
      getParameters(exchange, region, request);
    } else {
      jsonError(exchange, 400, "UnknownOperationException", null);
    }
  }

  private void getSecretValue(HttpExchange exchange, String region, JsonNode request)
      throws IOException {
    String id = request.path("SecretId").asText("");
    count("read:" + id);
    Failure failure = failures.get(id);
    if (failure != null) {
      jsonError(exchange, failure.status(), failure.code(), failure.message());
      return;
    }
    String name = id.startsWith("arn:") ? id.substring(id.indexOf(":secret:") + 8)
        .replaceAll("-[A-Za-z0-9]{5,6}$", "") : id;
    List<Version> versions = secrets.getOrDefault(region, Map.of()).get(name);
    if (versions == null) {
      jsonError(exchange, 400, "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret.");
      return;
    }
    String versionId = request.path("VersionId").asText(null);
    String stage = request.path("VersionStage").asText(versionId == null ? "AWSCURRENT" : null);
    Version found = null;
    synchronized (this) {
      for (Version v : versions) {
        if ((versionId == null || v.id().equals(versionId))
            && (stage == null || v.stages().contains(stage))) {
          found = v;
        }
      }
    }
    if (found == null) {
      jsonError(exchange, 400, "ResourceNotFoundException", "Secrets Manager can't find the"
          + " specified secret value for " + (versionId != null ? "VersionId: " + versionId
              : "staging label: " + stage));
      return;
    }
    ObjectNode answer = JSON.createObjectNode();
    answer.put("ARN", arn(region, name));
    answer.put("Name", name);
    answer.put("VersionId", found.id());
    if (found.string() != null) {
      answer.put("SecretString", found.string());
    } else {
      answer.put("SecretBinary", java.util.Base64.getEncoder().encodeToString(found.binary()));
    }
    ArrayNode stages = answer.putArray("VersionStages");
    found.stages().forEach(stages::add);
    answer.put("CreatedDate", clock.instant().getEpochSecond());
    sendJson(exchange, 200, answer);
  }

  public static String arn(String region, String name) {
    return "arn:aws:secretsmanager:" + region + ":" + ACCOUNT + ":secret:" + name + "-a1B2c3";
  }

  private void getParameters(HttpExchange exchange, String region, JsonNode request)
      throws IOException {
    JsonNode names = request.path("Names");
    if (!names.isArray() || names.size() < 1 || names.size() > 10) {
      jsonError(exchange, 400, "ValidationException", "1 validation error detected: Value at"
          + " 'names' failed to satisfy constraint: Member must have length less than or equal"
          + " to 10");
      return;
    }
    boolean decrypt = request.path("WithDecryption").asBoolean(false);
    ObjectNode answer = JSON.createObjectNode();
    ArrayNode found = answer.putArray("Parameters");
    ArrayNode invalid = answer.putArray("InvalidParameters");
    for (JsonNode n : names) {
      String selectorName = n.asText();
      count("read:" + selectorName);
      Failure failure = failures.get(selectorName);
      if (failure != null) {
        jsonError(exchange, failure.status(), failure.code(), failure.message());
        return;
      }
      if (failures.containsKey("corrupt:" + selectorName)) {
        continue;
      }
      String name = selectorName;
      String selector = null;
      int colon = selectorName.startsWith("arn:") ? selectorName.indexOf(':',
          selectorName.indexOf(":parameter") + 1) : selectorName.indexOf(':');
      if (colon > 0) {
        name = selectorName.substring(0, colon);
        selector = selectorName.substring(colon);
      }
      String plainName = name.startsWith("arn:")
          ? name.substring(name.indexOf(":parameter") + ":parameter".length()) : name;
      List<String> values = parameters.getOrDefault(region, Map.of()).get(plainName);
      int version = values == null ? 0 : values.size();
      if (values != null && selector != null) {
        String s = selector.substring(1);
        version = s.matches("[0-9]+") ? Integer.parseInt(s)
            : Integer.parseInt(labels.getOrDefault(region + "/" + plainName, Map.of())
                .getOrDefault(s, "0"));
      }
      if (values == null || version < 1 || version > values.size()) {
        invalid.add(selectorName);
        continue;
      }
      ObjectNode p = found.addObject();
      p.put("Name", plainName);
      p.put("Type", "SecureString");
      p.put("Value", decrypt ? values.get(version - 1) : "AQICAH" + random(12));
      p.put("Version", version);
      if (selector != null) {
        p.put("Selector", selector);
      }
      p.put("LastModifiedDate", clock.instant().getEpochSecond());
      p.put("ARN", "arn:aws:ssm:" + region + ":" + ACCOUNT + ":parameter"
          + (plainName.startsWith("/") ? "" : "/") + plainName);
      p.put("DataType", "text");
    }
    sendJson(exchange, 200, answer);
  }

  /** An SSM answer that leaves this selector out without naming it invalid (corrupt). */
  public void corruptParameter(String selector) {
    failures.put("corrupt:" + selector, new Failure(200, "", ""));
  }

  private void jsonError(HttpExchange exchange, int status, String code, String message)
      throws IOException {
    ObjectNode error = JSON.createObjectNode().put("__type", code);
    if (message != null) {
      error.put("message", message);
    }
    exchange.getResponseHeaders().add("x-amzn-ErrorType", code);
    sendJson(exchange, status, error);
  }

  private static void sendJson(HttpExchange exchange, int status, JsonNode body)
      throws IOException {
    send(exchange, status, "application/x-amz-json-1.1", JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().add("Content-Type", contentType);
    exchange.getResponseHeaders().add("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
