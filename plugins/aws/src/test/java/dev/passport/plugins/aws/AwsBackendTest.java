package dev.passport.plugins.aws;

import dev.passport.tools.aws.FakeAws;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.FetchRequests;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

/** The aws backend against {@link FakeAws}: what it reads when, and how failures come out. */
class AwsBackendTest {

  static final String REGION = "us-east-1";
  static final String FAILOVER = "us-east-2";
  static final String ROLE = "arn:aws:iam::111122223333:role/nginx-irsa";
  static final Duration TOKEN_TTL = Duration.ofHours(1);

  static ServiceAccountTokens tokens;

  final Pod pod = Pods.pod("default", "nginx-0", "nginx-sa");
  FakeClock clock;
  FakeAws aws;
  Backend<AwsVolume> backend;

  @BeforeAll
  static void minter() {
    tokens = ServiceAccountTokens.create();
  }

  @BeforeEach
  void start() throws Exception {
    clock = FakeClock.at(Instant.now());
    aws = new FakeAws(tokens, clock);
    aws.trust(ROLE, pod.serviceAccountUser());
    aws.associate(pod.serviceAccountUser(), ROLE);
    backend = new AwsBackendFactory().create(aws.config(),
        TestBackendContext.builder().clock(clock).build());
  }

  @AfterEach
  void stop() {
    backend.close();
    aws.close();
  }

  Map<String, String> attributes(String objects) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("objects", objects);
    attributes.put("region", REGION);
    attributes.put("roleArn", ROLE);
    return attributes;
  }

  FetchRequests.Builder request(String audience) {
    return FetchRequests.forPod(pod).clock(clock).mintedToken(tokens, audience, TOKEN_TTL);
  }

  Material fetch(Map<String, String> attributes, FetchRequest request) throws BackendException {
    return backend.fetch(backend.prepare(attributes), request);
  }

  static String content(Material m, String path) {
    return new String(m.file(path).orElseThrow(() -> new AssertionError("no file " + path + " in "
        + m.files())).content(), UTF_8);
  }

  @Test
  void fetch_twentyDueWithOneToken_oneStsExchangeAndPinnedVersionsReadOnce() throws Exception {
    String pinned = aws.putSecret(REGION, "db-pinned", "v1");
    aws.putSecret(REGION, "MySecret", "{\"username\":\"memeuser\", \"password\":\"hunter2\"}");
    int version = aws.putParameter(REGION, "/app/pinned", "p1");
    aws.putParameter(REGION, "/app/pinned", "p2");
    Map<String, String> attributes = attributes("""
        - objectName: "db-pinned"
          objectType: "secretsmanager"
          objectVersion: "%s"
        - objectName: "MySecret"
          objectType: "secretsmanager"
        - objectName: "/app/pinned"
          objectType: "ssmparameter"
          objectVersion: "%d"
        """.formatted(pinned, version));
    FetchRequest.Builder ignored = null;
    FetchRequests.Builder first = request(AwsVolume.IRSA_AUDIENCE);
    FetchRequest initial = first.build();
    Material material = fetch(attributes, initial);
    for (int i = 1; i < 20; i++) {
      clock.advance(Duration.ofSeconds(30));
      material = fetch(attributes, FetchRequest.builder().volumeId(initial.volumeId()).pod(pod)
          .tokens(initial.tokens()).previous(java.util.Optional.of(material))
          .reason(FetchRequest.Reason.DUE).deadline(clock.instant().plusSeconds(30)).build());
    }

    assertThat(aws.calls("AssumeRoleWithWebIdentity")).isEqualTo(1);
    assertThat(aws.reads("db-pinned")).isEqualTo(1);
    assertThat(aws.reads("/app/pinned:1")).isEqualTo(1);
    assertThat(aws.reads("MySecret")).as("AWSCURRENT is read when due").isEqualTo(20);
    assertThat(content(material, "db-pinned")).isEqualTo("v1");
    assertThat(content(material, "_app_pinned")).isEqualTo("p1");
    assertThat(content(material, "MySecret"))
        .isEqualTo("{\"username\":\"memeuser\", \"password\":\"hunter2\"}");
  }

  @Test
  void fetch_tokensRotatedNothingDue_returnsThePreviousMaterialAndReadsNothing() throws Exception {
    String pinned = aws.putSecret(REGION, "db-pinned", "v1");
    Map<String, String> attributes = attributes("""
        - objectName: "db-pinned"
          objectType: "secretsmanager"
          objectVersion: "%s"
        """.formatted(pinned));
    Material material = fetch(attributes, request(AwsVolume.IRSA_AUDIENCE).build());
    clock.advance(Duration.ofMinutes(48));

    Material rotated = fetch(attributes, request(AwsVolume.IRSA_AUDIENCE).previous(material)
        .reason(FetchRequest.Reason.TOKENS_ROTATED).build());
    Material due = fetch(attributes, request(AwsVolume.IRSA_AUDIENCE).previous(rotated)
        .reason(FetchRequest.Reason.DUE).build());

    assertThat(rotated).isSameAs(material);
    assertThat(content(due, "db-pinned")).isEqualTo("v1");
    assertThat(aws.reads("db-pinned")).isEqualTo(1);
    assertThat(aws.calls("AssumeRoleWithWebIdentity")).as("nothing to read, no exchange")
        .isEqualTo(1);
  }

  @Test
  void fetch_credentialsNearTheirExpiration_areExchangedAgainBeforeIt() throws Exception {
    aws.credentialLifetime(Duration.ofMinutes(15));
    aws.putSecret(REGION, "MySecret", "s");
    Map<String, String> attributes = attributes("""
        - objectName: "MySecret"
          objectType: "secretsmanager"
        """);
    FetchRequest request = request(AwsVolume.IRSA_AUDIENCE).build();
    fetch(attributes, request);
    clock.advance(Duration.ofMinutes(9));
    fetch(attributes, withDeadline(request));
    assertThat(aws.calls("AssumeRoleWithWebIdentity")).isEqualTo(1);

    clock.advance(Duration.ofMinutes(2));
    fetch(attributes, withDeadline(request));

    assertThat(aws.calls("AssumeRoleWithWebIdentity"))
        .as("5 minutes before Expiration the credentials are replaced").isEqualTo(2);
    assertThat(aws.calls("GetSecretValue")).isEqualTo(3);
  }

  FetchRequest withDeadline(FetchRequest r) {
    return FetchRequest.builder().volumeId(r.volumeId()).pod(r.pod()).tokens(r.tokens())
        .deadline(clock.instant().plusSeconds(30)).build();
  }

  @Test
  void fetch_jmesPathAndPermissions_writeProviderAwsFiles() throws Exception {
    aws.putSecret(REGION, "My/Secret", "{\"username\":\"memeuser\",\"password\":\"hunter2\","
        + "\"hyphenated-key\":\"h\",\"nested\":{\"list\":[\"a\",\"b\"]}}");
    Map<String, String> attributes = attributes("""
        - objectName: "My/Secret"
          objectType: "secretsmanager"
          filePermission: "0600"
          jmesPath:
            - path: "username"
              objectAlias: "MySecretUsername"
            - path: "password"
              objectAlias: "MySecretPassword"
              filePermission: "0640"
            - path: '"hyphenated-key"'
              objectAlias: "hyphen"
            - path: "nested.list[1]"
              objectAlias: "second"
        """);

    Material m = fetch(attributes, request(AwsVolume.IRSA_AUDIENCE).build());

    assertThat(m.files()).extracting(MaterialFile::path).containsExactly("My_Secret",
        "MySecretUsername", "MySecretPassword", "hyphen", "second");
    assertThat(content(m, "MySecretUsername")).isEqualTo("memeuser");
    assertThat(content(m, "MySecretPassword")).isEqualTo("hunter2");
    assertThat(content(m, "hyphen")).isEqualTo("h");
    assertThat(content(m, "second")).isEqualTo("b");
    assertThat(m.file("My_Secret").orElseThrow().mode()).isEqualTo(0600);
    assertThat(m.file("MySecretUsername").orElseThrow().mode()).isEqualTo(0600);
    assertThat(m.file("MySecretPassword").orElseThrow().mode()).isEqualTo(0640);
  }

  @Test
  void fetch_jmesPathToANumber_failsAsProviderAwsDoes() throws Exception {
    aws.putSecret(REGION, "S", "{\"port\":5432}");
    BackendException e = catchThrowableOfType(() -> fetch(attributes("""
        - objectName: "S"
          objectType: "secretsmanager"
          jmesPath:
            - path: "port"
              objectAlias: "port"
        """), request(AwsVolume.IRSA_AUDIENCE).build()), BackendException.class);
    assertThat(e.getMessage())
        .isEqualTo("Invalid JMES search result type for path:port. Only string is allowed.");
  }

  @Test
  void fetch_twelveParameters_readsThemInTwoBatchesWithDecryption() throws Exception {
    StringBuilder objects = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      aws.putParameter(REGION, "p" + i, "value-" + i);
      objects.append("- objectName: \"p").append(i).append("\"\n  objectType: \"ssmparameter\"\n");
    }
    Material m = fetch(attributes(objects.toString()), request(AwsVolume.IRSA_AUDIENCE).build());

    assertThat(aws.calls("GetParameters")).isEqualTo(2);
    assertThat(content(m, "p11")).isEqualTo("value-11");
  }

  @Test
  void fetch_parameterMissing_failsNotFoundNamingIt() throws Exception {
    aws.putParameter(REGION, "present", "x");
    BackendException e = catchThrowableOfType(() -> fetch(attributes("""
        - objectName: "present"
          objectType: "ssmparameter"
        - objectName: "absent"
          objectType: "ssmparameter"
        """), request(AwsVolume.IRSA_AUDIENCE).build()), BackendException.class);
    assertThat(e.kind()).isEqualTo(BackendException.Kind.NOT_FOUND);
    assertThat(e.getMessage()).contains("invalid parameters: absent");
  }

  @Test
  void fetch_primaryRegionFailsWithAServerError_readsTheFailoverObject() throws Exception {
    aws.putSecret(FAILOVER, "FailoverSecret", "from-failover");
    aws.fail("arn:aws:secretsmanager:us-east-1:111122223333:secret:PrimarySecret-12345", 500,
        "InternalServiceError", "An error occurred on the server side.");
    Map<String, String> attributes = attributes("""
        - objectName: "arn:aws:secretsmanager:us-east-1:111122223333:secret:PrimarySecret-12345"
          failoverObject:
            objectName: "arn:aws:secretsmanager:us-east-2:111122223333:secret:FailoverSecret-12345"
          objectAlias: testArn
        """);
    attributes.put("failoverRegion", FAILOVER);

    Material m = fetch(attributes, request(AwsVolume.IRSA_AUDIENCE).build());

    assertThat(content(m, "testArn")).isEqualTo("from-failover");
  }

  @Test
  void fetch_primaryRegionDeniesAccess_failsWithoutAskingTheFailoverRegion() throws Exception {
    aws.putSecret(FAILOVER, "S", "from-failover");
    aws.fail("S", 400, "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/"
        + "nginx-irsa/x is not authorized to perform: secretsmanager:GetSecretValue");
    Map<String, String> attributes = attributes("""
        - objectName: "S"
          objectType: "secretsmanager"
        """);
    attributes.put("failoverRegion", FAILOVER);

    BackendException e = catchThrowableOfType(
        () -> fetch(attributes, request(AwsVolume.IRSA_AUDIENCE).build()), BackendException.class);

    assertThat(e.kind()).isEqualTo(BackendException.Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("GetSecretValue of S in us-east-1")
        .contains("secretsmanager:GetSecretValue");
    assertThat(aws.reads("S")).isEqualTo(1);
  }

  @Test
  void fetch_secretMissing_failsNotFoundNamingTheObject() throws Exception {
    BackendException e = catchThrowableOfType(() -> fetch(attributes("""
        - objectName: "nope"
          objectType: "secretsmanager"
        """), request(AwsVolume.IRSA_AUDIENCE).build()), BackendException.class);
    assertThat(e.kind()).isEqualTo(BackendException.Kind.NOT_FOUND);
    assertThat(e.getMessage()).contains("nope").contains("ResourceNotFoundException");
  }

  @Test
  void fetch_roleDoesNotTrustTheServiceAccount_failsPermissionDenied() throws Exception {
    Map<String, String> attributes = attributes("""
        - objectName: "S"
          objectType: "secretsmanager"
        """);
    attributes.put("roleArn", "arn:aws:iam::111122223333:role/other");
    BackendException e = catchThrowableOfType(
        () -> fetch(attributes, request(AwsVolume.IRSA_AUDIENCE).build()), BackendException.class);
    assertThat(e.kind()).isEqualTo(BackendException.Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("arn:aws:iam::111122223333:role/other");
  }

  @Test
  void fetch_tokenFromAnotherIssuer_failsUnauthenticatedNamingTheAudienceNotTheToken()
      throws Exception {
    ServiceAccountTokens stranger = ServiceAccountTokens.create("https://elsewhere.example");
    FetchRequest request = FetchRequests.forPod(pod).clock(clock)
        .mintedToken(stranger, AwsVolume.IRSA_AUDIENCE, TOKEN_TTL).build();
    BackendException e = catchThrowableOfType(() -> fetch(attributes("""
        - objectName: "S"
          objectType: "secretsmanager"
        """), request), BackendException.class);
    assertThat(e.kind()).isEqualTo(BackendException.Kind.UNAUTHENTICATED);
    assertThat(e.getMessage()).contains("sts.amazonaws.com").contains("InvalidIdentityToken")
        .doesNotContain(request.tokens().get(AwsVolume.IRSA_AUDIENCE).token());
  }

  @Test
  void fetch_throttled_failsResourceExhausted() throws Exception {
    aws.putSecret(REGION, "S", "x");
    aws.fail("S", 400, "ThrottlingException", "Rate exceeded");
    BackendException e = catchThrowableOfType(() -> fetch(attributes("""
        - objectName: "S"
          objectType: "secretsmanager"
        """), request(AwsVolume.IRSA_AUDIENCE).build()), BackendException.class);
    assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED);
    assertThat(aws.reads("S")).as("the SDK retries throttling; the fake counts each").isPositive();
  }

  @Test
  void fetch_podIdentity_usesTheAgentWithThePodsToken() throws Exception {
    aws.putSecret(REGION, "MySecret", "pod-identity");
    Map<String, String> attributes = attributes("""
        - objectName: "MySecret"
          objectType: "secretsmanager"
        """);
    attributes.remove("roleArn");
    attributes.put("usePodIdentity", "true");

    FetchRequest request = request(AwsVolume.POD_IDENTITY_AUDIENCE).build();
    Material m = fetch(attributes, request);
    fetch(attributes, withDeadline(request));

    assertThat(content(m, "MySecret")).isEqualTo("pod-identity");
    assertThat(aws.calls("PodIdentity")).isEqualTo(1);
    assertThat(aws.calls("AssumeRoleWithWebIdentity")).isZero();
  }

  @Test
  void fetch_podIdentityWithoutAssociation_failsNamingTheAudience() throws Exception {
    Map<String, String> attributes = attributes("""
        - objectName: "MySecret"
          objectType: "secretsmanager"
        """);
    attributes.put("usePodIdentity", "True");
    FetchRequest request = FetchRequests.forPod(Pods.pod("default", "x", "unassociated"))
        .clock(clock).mintedToken(tokens, AwsVolume.POD_IDENTITY_AUDIENCE, TOKEN_TTL).build();
    BackendException e = catchThrowableOfType(() -> fetch(attributes, request),
        BackendException.class);
    assertThat(e.kind()).isEqualTo(BackendException.Kind.UNAUTHENTICATED);
    assertThat(e.getMessage()).contains("pods.eks.amazonaws.com");
  }

  @Test
  void fetch_answerLargerThanMaxResponseBytes_failsResourceExhaustedNamingTheLimit()
      throws Exception {
    aws.putSecret(REGION, "huge", "x".repeat(200_000));
    Map<String, String> config = new HashMap<>(aws.config());
    config.put(AwsConfig.MAX_RESPONSE_BYTES, "65536");
    try (Backend<AwsVolume> small = new AwsBackendFactory().create(config,
        TestBackendContext.builder().clock(clock).build())) {
      BackendException e = catchThrowableOfType(() -> small.fetch(small.prepare(attributes("""
          - objectName: "huge"
            objectType: "secretsmanager"
          """)), request(AwsVolume.IRSA_AUDIENCE).build()), BackendException.class);

      assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED);
      assertThat(e.getMessage()).contains("65536");
    }
  }

  @Test
  void fakeSecretsManager_wrongSecretKey_answersInvalidSignature() throws Exception {
    aws.putSecret(REGION, "S", "x");
    aws.putSecret(REGION, "MySecret", "s");
    fetch(attributes("""
        - objectName: "MySecret"
          objectType: "secretsmanager"
        """), request(AwsVolume.IRSA_AUDIENCE).build());
    try (SecretsManagerClient client = SecretsManagerClient.builder()
        .region(Region.of(REGION))
        .endpointOverride(URI.create(aws.base() + "/" + REGION))
        .httpClient(UrlConnectionHttpClient.create())
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsSessionCredentials.create("ASIAUNKNOWN", "wrong", "token")))
        .build()) {
      SecretsManagerException e = catchThrowableOfType(
          () -> client.getSecretValue(b -> b.secretId("S")), SecretsManagerException.class);
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnrecognizedClientException");
    }
  }
}
