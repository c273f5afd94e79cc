package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.AUDIENCE;
import static dev.passport.plugins.gcp.GcpTestbed.PROVIDER;
import static dev.passport.plugins.gcp.GcpTestbed.SERVICE_ACCOUNT;
import static dev.passport.plugins.gcp.GcpTestbed.secretsAttribute;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GcpBackendTest {

  static final String DB_PASSWORD = "projects/test-project/secrets/db-password/versions/3";
  static final String API_KEY_LATEST = "projects/test-project/secrets/api-key/versions/latest";
  static final String API_KEY_RESOLVED = "projects/123456/secrets/api-key/versions/7";
  static final String REGIONAL = "projects/test-project/locations/europe-west1/secrets/eu/versions/1";
  static final String REGIONAL_OTHER =
      "projects/test-project/locations/us-east1/secrets/us/versions/2";

  @TempDir Path tempDir;
  GcpTestbed bed;
  GcpBackend backend;

  @RegisterExtension
  final LogCapture logs = LogCapture.checkingFor(() -> bed == null ? List.of() : bed.secrets());

  @BeforeEach
  void start() throws Exception {
    bed = new GcpTestbed(tempDir);
    bed.global.put(DB_PASSWORD, "s3cret-db".getBytes(UTF_8));
    bed.global.put(API_KEY_LATEST, API_KEY_RESOLVED, "key-7".getBytes(UTF_8));
    bed.regional.put(REGIONAL, "eu-value".getBytes(UTF_8));
    bed.regional.put(REGIONAL_OTHER, "us-value".getBytes(UTF_8));
    backend = bed.backend();
  }

  @AfterEach
  void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
    assertThat(bed.auth.problems()).as("protocol problems seen by the fake STS/IAM").isEmpty();
    bed.close();
  }

  @Test
  void fetch_globalSecret_exchangesPodTokenAndWritesPayloadWithDefaultMode() throws Exception {
    Pod pod = bed.pod();
    Material material =
        fetch(secretsAttribute(DB_PASSWORD, "db/password"), bed.request(pod, bed.token(pod)));

    assertThat(material.files())
        .containsExactly(MaterialFile.of("db/password", "s3cret-db".getBytes(UTF_8)));
    assertThat(material.files().get(0).chosenMode()).as("no mode: the host's default").isEmpty();
    assertThat(material.version()).contains(DB_PASSWORD);
    assertThat(bed.auth.exchanges()).singleElement().satisfies(exchange -> {
      assertThat(exchange.audience()).isEqualTo(PROVIDER);
      assertThat(exchange.podUid()).isEqualTo(pod.uid());
      assertThat(exchange.subject()).isEqualTo(pod.serviceAccountUser());
    });
    assertThat(bed.auth.impersonations()).isEmpty();
    assertThat(bed.global.bearers()).containsExactlyElementsOf(bed.auth.federatedTokens());
  }

  @Test
  void prepare_podAdc_audienceIsTheOneDerivedFromTheGkeProvider() throws Exception {
    assertThat(backend.prepare(secretsAttribute(DB_PASSWORD, "a")).audiences()).containsExactly(
        AUDIENCE);
  }

  @Test
  void fetch_globalAndRegionalSecrets_routesEachToItsEndpointWithOneClientPerEndpoint()
      throws Exception {
    Material material = fetch(secretsAttribute(
        DB_PASSWORD, "global", REGIONAL, "eu", REGIONAL_OTHER, "us"), bed.request());

    assertThat(contents(material)).containsExactlyInAnyOrderEntriesOf(
        Map.of("global", "s3cret-db", "eu", "eu-value", "us", "us-value"));
    assertThat(bed.global.calls(DB_PASSWORD)).isEqualTo(1);
    assertThat(bed.global.calls(REGIONAL)).isZero();
    assertThat(bed.regional.calls(REGIONAL)).isEqualTo(1);
    assertThat(bed.regional.calls(REGIONAL_OTHER)).isEqualTo(1);
    assertThat(backend.clientEndpoints())
        .containsExactlyInAnyOrder(bed.global.endpoint(), bed.regional.endpoint());
  }

  @Test
  void fetch_serviceAccountWithDelegates_impersonatesThroughIamWithTheFederatedToken()
      throws Exception {
    Map<String, String> attributes = new HashMap<>(secretsAttribute(DB_PASSWORD, "db"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);
    attributes.put(GcpConfig.DELEGATES, "hop@test-project.iam.gserviceaccount.com");

    fetch(attributes, bed.request());

    assertThat(bed.auth.exchanges()).hasSize(1);
    assertThat(bed.auth.impersonations()).singleElement().satisfies(call -> {
      assertThat(call.serviceAccount()).isEqualTo(SERVICE_ACCOUNT);
      assertThat(call.delegates()).containsExactly(
          "projects/-/serviceAccounts/hop@test-project.iam.gserviceaccount.com");
      assertThat(call.lifetime()).isEqualTo("3600s");
      assertThat(call.scope()).containsExactly(PodCredentials.CLOUD_PLATFORM);
    });
    assertThat(bed.global.bearers()).containsExactlyElementsOf(bed.auth.serviceAccountTokens());
  }

  @Test
  void fetch_serviceAccountFromConfig_impersonatesWithoutAttribute() throws Exception {
    backend.close();
    backend = bed.backend(bed.config(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT));

    fetch(secretsAttribute(DB_PASSWORD, "db"), bed.request());

    assertThat(bed.auth.impersonations()).singleElement()
        .satisfies(call -> assertThat(call.delegates()).isEmpty());
    assertThat(bed.global.bearers()).containsExactlyElementsOf(bed.auth.serviceAccountTokens());
  }

  @Test
  void fetch_twentyTimesWithUnchangedToken_exchangesOnceAndReadsEachSecretOncePerFetch()
      throws Exception {
    Pod pod = bed.pod();
    ServiceAccountToken token = bed.token(pod);
    Map<String, String> attributes =
        new HashMap<>(secretsAttribute(DB_PASSWORD, "db", REGIONAL, "eu"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);

    for (int i = 0; i < 20; i++) {
      bed.clock.advance(Duration.ofSeconds(60));
      fetch(attributes, bed.request(pod, token));
    }

    assertThat(bed.auth.exchanges()).hasSize(1);
    assertThat(bed.auth.impersonations()).hasSize(1);
    assertThat(bed.global.calls(DB_PASSWORD)).isEqualTo(20);
    assertThat(bed.regional.calls(REGIONAL)).isEqualTo(20);
    assertThat(backend.cachedIdentities()).isEqualTo(1);
  }

  @Test
  void fetch_afterKubeletRotatesTheToken_exchangesTheNewToken() throws Exception {
    Pod pod = bed.pod();
    Map<String, String> attributes = secretsAttribute(DB_PASSWORD, "db");
    fetch(attributes, bed.request(pod, bed.token(pod)));

    bed.clock.advance(Duration.ofMinutes(50));
    fetch(attributes, bed.request(pod, bed.token(pod)));

    assertThat(bed.auth.exchanges()).hasSize(2);
  }

  @Test
  void fetch_twoPods_exchangeEachPodsOwnToken() throws Exception {
    Pod first = bed.pod();
    Pod second = Pods.pod("shop", "web-1", "web");
    Map<String, String> attributes = secretsAttribute(DB_PASSWORD, "db");

    fetch(attributes, bed.request(first, bed.token(first)));
    fetch(attributes, bed.request(second, bed.token(second)));

    assertThat(bed.auth.exchanges()).extracting(FakeGoogleAuth.Exchange::podUid)
        .containsExactly(first.uid(), second.uid());
    assertThat(bed.global.bearers()).doesNotHaveDuplicates();
  }

  @Test
  void fetch_onlyPinnedVersions_refreshesAfterTheLongPinnedInterval() throws Exception {
    Material material = fetch(secretsAttribute(DB_PASSWORD, "db"), bed.request());

    assertThat(material.refreshAt()).contains(bed.clock.instant().plus(Duration.ofHours(24)));
  }

  @Test
  void fetch_latestVersion_leavesRefreshToTheHostAndRecordsTheResolvedVersion() throws Exception {
    Material material = fetch(secretsAttribute(
        DB_PASSWORD, "db", API_KEY_LATEST, "api-key"), bed.request());

    assertThat(material.refreshAt()).isEmpty();
    assertThat(material.version()).contains(DB_PASSWORD + "," + API_KEY_RESOLVED);
  }

  @Test
  void fetch_extractJsonAndYamlKeys_writesOnlyTheValues() throws Exception {
    String json = "projects/test-project/secrets/json/versions/1";
    String yaml = "projects/test-project/secrets/yaml/versions/1";
    bed.global.put(json, "{\"user\":\"alice\",\"password\":\"pw-json\"}".getBytes(UTF_8));
    bed.global.put(yaml, "user: bob\npassword: pw-yaml\n".getBytes(UTF_8));
    Map<String, String> attributes = Map.of(GcpVolume.SECRETS, String.join("\n",
        "- resourceName: " + json,
        "  path: from-json",
        "  extractJSONKey: password",
        "- resourceName: " + yaml,
        "  fileName: from-yaml",
        "  extractYAMLKey: user"));

    Material material = fetch(attributes, bed.request());

    assertThat(contents(material)).containsExactlyInAnyOrderEntriesOf(
        Map.of("from-json", "pw-json", "from-yaml", "bob"));
  }

  @Test
  void fetch_yamlValuesYesAndOn_areStringsAsInGoYamlV3_numbersAreNot() throws Exception {
    String yaml = "projects/test-project/secrets/yaml/versions/1";
    bed.global.put(yaml, "enabled: yes\nmode: on\nport: 8080\n".getBytes(UTF_8));
    Map<String, String> attributes = Map.of(GcpVolume.SECRETS, String.join("\n",
        "- resourceName: " + yaml, "  path: enabled", "  extractYAMLKey: enabled",
        "- resourceName: " + yaml, "  path: mode", "  extractYAMLKey: mode"));

    assertThat(contents(fetch(attributes, bed.request())))
        .containsExactlyInAnyOrderEntriesOf(Map.of("enabled", "yes", "mode", "on"));
    BackendException e = fetchFailure(Map.of(GcpVolume.SECRETS,
        "- resourceName: " + yaml + "\n  path: p\n  extractYAMLKey: port"));
    assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION);
    assertThat(e.getMessage()).contains("\"port\"", "not a string").doesNotContain("8080");
  }

  @Test
  void fetch_extractJsonKeyWithDots_literalKeyFirstThenPathThroughNestedObjects()
      throws Exception {
    String json = "projects/test-project/secrets/json/versions/1";
    bed.global.put(json, ("{\"db\":{\"primary\":{\"password\":\"pw-nested\"}},"
        + "\"a.b\":\"literal\",\"a\":{\"b\":\"shadowed\"}}").getBytes(UTF_8));
    Map<String, String> attributes = Map.of(GcpVolume.SECRETS, String.join("\n",
        "- resourceName: " + json, "  path: nested", "  extractJSONKey: db.primary.password",
        "- resourceName: " + json, "  path: literal", "  extractJSONKey: a.b"));

    assertThat(contents(fetch(attributes, bed.request())))
        .containsExactlyInAnyOrderEntriesOf(Map.of("nested", "pw-nested", "literal", "literal"));
  }

  @Test
  void fetch_decodeBase64_writesTheDecodedBytes_afterExtraction() throws Exception {
    String raw = "projects/test-project/secrets/raw/versions/1";
    String json = "projects/test-project/secrets/json/versions/1";
    byte[] binary = {0, 1, 2, (byte) 0xff, '\n'};
    String encoded = java.util.Base64.getMimeEncoder().encodeToString(binary);
    bed.global.put(raw, (encoded + "\n").getBytes(UTF_8));
    bed.global.put(json, ("{\"cert\":\"" + encoded + "\"}").getBytes(UTF_8));
    Map<String, String> attributes = Map.of(GcpVolume.SECRETS, String.join("\n",
        "- resourceName: " + raw, "  path: raw.bin", "  decode: base64",
        "- resourceName: " + json, "  path: cert.der", "  extractJSONKey: cert",
        "  decode: base64"));

    Material material = fetch(attributes, bed.request());

    assertThat(material.file("raw.bin")).hasValueSatisfying(
        f -> assertThat(f.content()).containsExactly(binary));
    assertThat(material.file("cert.der")).hasValueSatisfying(
        f -> assertThat(f.content()).containsExactly(binary));
  }

  @Test
  void fetch_decodeBase64OfTextThatIsNotBase64_failsPreconditionWithoutQuotingIt() {
    String raw = "projects/test-project/secrets/raw/versions/1";
    bed.global.put(raw, "not base64 at all!".getBytes(UTF_8));

    BackendException e = fetchFailure(Map.of(GcpVolume.SECRETS,
        "- resourceName: " + raw + "\n  path: p\n  decode: base64"));

    assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION);
    assertThat(e.getMessage()).contains("not base64").doesNotContain("at all");
  }

  @Test
  void fetch_extractKeyMissingFromPayload_failsPreconditionWithoutQuotingContent() {
    String json = "projects/test-project/secrets/json/versions/1";
    bed.global.put(json, "{\"user\":\"alice\"}".getBytes(UTF_8));
    Map<String, String> attributes = Map.of(GcpVolume.SECRETS,
        "- resourceName: " + json + "\n  path: p\n  extractJSONKey: password\n");

    BackendException e = fetchFailure(attributes);

    assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION);
    assertThat(e.getMessage()).contains(json, "\"password\" not found").doesNotContain("alice");
  }

  @Test
  void fetch_modePerFile_setsEachFilesMode() throws Exception {
    Map<String, String> attributes = Map.of(GcpVolume.SECRETS, String.join("\n",
        "- resourceName: " + DB_PASSWORD,
        "  path: owner-only",
        "  mode: 0400",
        "- resourceName: " + API_KEY_LATEST,
        "  path: world-readable",
        "  mode: \"0644\"",
        "- resourceName: " + REGIONAL,
        "  path: default"));

    Material material = fetch(attributes, bed.request());

    assertThat(material.file("owner-only")).map(MaterialFile::mode).contains(0400);
    assertThat(material.file("world-readable")).map(MaterialFile::mode).contains(0644);
    // no mode given: the host writes its --default-file-mode, as provider-gcp leaves it to the
    // secrets-store driver's 0644
    assertThat(material.file("default")).map(MaterialFile::chosenMode).hasValueSatisfying(
        mode -> assertThat(mode).isEmpty());
  }

  @Test
  void fetch_twoOfThreeSecretsFail_returnsNothingAndNamesEveryFailedSecret() {
    String missing = "projects/test-project/secrets/missing/versions/1";
    bed.regional.fail(REGIONAL, Status.PERMISSION_DENIED.withDescription(
        "Permission 'secretmanager.versions.access' denied"));

    BackendException e = fetchFailure(secretsAttribute(
        DB_PASSWORD, "ok", missing, "missing", REGIONAL, "denied"));

    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
    assertThat(e.getMessage()).contains("2 of 3", missing, REGIONAL,
        "Permission 'secretmanager.versions.access' denied").doesNotContain(DB_PASSWORD);
  }

  @Test
  void fetch_payloadFailsCrc32c_failsInternalAndWritesNothing() {
    bed.global.putCorrupted(DB_PASSWORD, "s3cret-db".getBytes(UTF_8));

    BackendException e = fetchFailure(secretsAttribute(DB_PASSWORD, "db", REGIONAL, "eu"));

    assertThat(e.kind()).isEqualTo(Kind.INTERNAL);
    assertThat(e.getMessage()).contains(DB_PASSWORD, "data_crc32c").doesNotContain("s3cret");
  }

  @Test
  void fetch_secretNotFound_namesTheResource() {
    String missing = "projects/test-project/secrets/missing/versions/9";

    BackendException e = fetchFailure(secretsAttribute(missing, "m"));

    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
    assertThat(e.getMessage()).contains(missing + " not found");
  }

  @Test
  void fetch_secretManagerUnavailable_isRetryableUnavailable() {
    bed.global.fail(DB_PASSWORD, Status.UNAVAILABLE.withDescription("backend overloaded"));

    BackendException e = fetchFailure(secretsAttribute(DB_PASSWORD, "db"));

    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("backend overloaded");
    assertThat(bed.global.calls(DB_PASSWORD)).isEqualTo(GcpBackend.MAX_ATTEMPTS);
  }

  @Test
  void fetch_secretManagerQuotaExhausted_isRetryableResourceExhausted() {
    bed.global.fail(DB_PASSWORD, Status.RESOURCE_EXHAUSTED.withDescription(
        "Quota exceeded for quota metric 'Access requests' of service secretmanager.googleapis.com"));

    BackendException e = fetchFailure(secretsAttribute(DB_PASSWORD, "db"));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.isRetryable()).isTrue();
    assertThat(e.getMessage()).contains(DB_PASSWORD, "Quota exceeded for quota metric");
  }

  @Test
  void fetch_iamRateLimitsImpersonation_isResourceExhausted() {
    bed.auth.failIam(429, "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Generate credentials requests'.");
    Map<String, String> attributes = new HashMap<>(secretsAttribute(DB_PASSWORD, "db"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);

    BackendException e = fetchFailure(attributes);

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains(SERVICE_ACCOUNT, "HTTP 429",
        "Quota exceeded for quota metric 'Generate credentials requests'.");
  }

  @Test
  void fetch_secretManagerStalls_failsWithDeadlineExceededAtTheRequestDeadline() {
    bed.global.stall();
    Pod pod = bed.pod();
    FetchRequest request =
        bed.request(pod, Map.of(AUDIENCE, bed.token(pod)), Duration.ofMillis(1500));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> fetch(secretsAttribute(DB_PASSWORD, "db"), request));

    assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
    assertThat(e.getMessage()).contains(DB_PASSWORD);
  }

  @Test
  void fetch_stsStalls_newPodFailsAtItsDeadlineWhileACachedPodStillReads() throws Exception {
    Pod cached = bed.pod();
    ServiceAccountToken cachedToken = bed.token(cached);
    Map<String, String> attributes = secretsAttribute(DB_PASSWORD, "db");
    fetch(attributes, bed.request(cached, cachedToken));
    bed.auth.stallSts();
    Pod fresh = Pods.pod("shop", "web-9", "web");
    FetchRequest stalled =
        bed.request(fresh, Map.of(AUDIENCE, bed.token(fresh)), Duration.ofSeconds(1));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> fetch(attributes, stalled));
    Material material = fetch(attributes, bed.request(cached, cachedToken));

    assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
    assertThat(e.getMessage()).contains("access token");
    assertThat(contents(material)).containsEntry("db", "s3cret-db");
  }

  @Test
  void fetch_deadlineAlreadyPassed_failsWithoutCallingGoogle() {
    Pod pod = bed.pod();
    FetchRequest request = bed.request(pod, Map.of(AUDIENCE, bed.token(pod)), Duration.ZERO);

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> fetch(secretsAttribute(DB_PASSWORD, "db"), request));

    assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
    assertThat(bed.auth.exchanges()).isEmpty();
  }

  /** Issue 17 item 6: provider-gcp's key.json from a nodePublishSecretRef is refused, not ignored. */
  @Test
  void fetch_nodePublishSecretRefKey_isRefusedNamingTheKeyNotItsValue_beforeAnyGoogleCall() {
    Pod pod = bed.pod();
    FetchRequest request = FetchRequest.builder().volumeId("csi-" + pod.uid()).pod(pod)
        .tokens(Map.of(AUDIENCE, bed.token(pod)))
        .nodePublishSecrets(Map.of("key.json", "{\"private_key\":\"sekret-key-material\"}"))
        .deadline(bed.clock.instant().plus(Duration.ofSeconds(30))).build();

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> fetch(secretsAttribute(DB_PASSWORD, "db"), request));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("[key.json]", "remove nodePublishSecretRef")
        .doesNotContain("sekret-key-material");
    assertThat(bed.auth.exchanges()).isEmpty();
  }

  @Test
  void fetch_secretManagerRejectsTheCachedGoogleToken_exchangesAgainOnTheNextFetch()
      throws Exception {
    Pod pod = bed.pod();
    ServiceAccountToken token = bed.token(pod);
    Map<String, String> attributes = secretsAttribute(DB_PASSWORD, "db");
    fetch(attributes, bed.request(pod, token));
    bed.global.fail(DB_PASSWORD, Status.UNAUTHENTICATED.withDescription(
        "Request had invalid authentication credentials."));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> fetch(attributes, bed.request(pod, token)));
    bed.global.recover();
    fetch(attributes, bed.request(pod, token));

    assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED);
    assertThat(bed.auth.exchanges()).hasSize(2);
  }

  @Test
  void fetch_stsRejectsTheToken_isUnauthenticatedQuotingErrorDescription() {
    bed.auth.failSts(400, "invalid_grant", "The audience in ID Token does not match.");

    BackendException e = fetchFailure(secretsAttribute(DB_PASSWORD, "db"));

    assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED);
    assertThat(e.getMessage()).contains("invalid_grant", "The audience in ID Token does not match.");
    assertThat(bed.global.totalCalls()).isZero();
  }

  @Test
  void fetch_stsDeniesAccess_isPermissionDenied() {
    bed.auth.failSts(403, "access_denied", "The caller does not have permission.");

    BackendException e = fetchFailure(secretsAttribute(DB_PASSWORD, "db"));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("The caller does not have permission.");
  }

  @Test
  void fetch_podTokenForAnotherAudience_isRejectedByStsAsUnauthenticated() {
    Pod pod = bed.pod();
    ServiceAccountToken wrongAudience =
        bed.tokens.token(pod, "vault", bed.clock.instant(), Duration.ofHours(1));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> fetch(secretsAttribute(DB_PASSWORD, "db"), bed.request(pod, wrongAudience)));

    assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED);
    assertThat(e.getMessage()).contains("invalid_grant");
  }

  @Test
  void fetch_iamRefusesImpersonation_isPermissionDeniedQuotingGoogle() {
    bed.auth.failIam(403, "PERMISSION_DENIED",
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource.");
    Map<String, String> attributes = new HashMap<>(secretsAttribute(DB_PASSWORD, "db"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);

    BackendException e = fetchFailure(attributes);

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains(SERVICE_ACCOUNT, "HTTP 403",
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource.");
  }

  @Test
  void fetch_iamAnswersExpireTimeWithFractionalSeconds_impersonatesAndReadsTheSecret()
      throws Exception {
    // google-auth-library alone fails on "…:56.123457Z" (issue 17); the fake always sends one
    Map<String, String> attributes = new HashMap<>(secretsAttribute(DB_PASSWORD, "db"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);

    Material material = fetch(attributes, bed.request());

    assertThat(contents(material)).containsEntry("db", "s3cret-db");
    assertThat(bed.global.bearers()).containsExactlyElementsOf(bed.auth.serviceAccountTokens());
  }

  @ParameterizedTest
  @ValueSource(strings = {"2026-12-01T16:00:00.5+01:00", "2026-12-01t16:00:00z",
      "2026-12-01T16:00:00.123456789Z"})
  void expireTime_rfc3339Forms_parse(String text) throws Exception {
    assertThat(ImpersonationAnswer.expireTime(text, "iam")).isNotNull();
  }

  @Test
  void fetch_iamExpireTimeUnparseable_isInternalNotRetryable_eachRetryOneCallAndNoNewExchange() {
    bed.auth.answerIamExpireTime("next tuesday");
    Map<String, String> attributes = new HashMap<>(secretsAttribute(DB_PASSWORD, "db"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);
    Pod pod = bed.pod();
    ServiceAccountToken token = bed.token(pod);

    List<BackendException> failures = new ArrayList<>();
    for (int retry = 0; retry < 3; retry++) {
      failures.add(catchThrowableOfType(BackendException.class,
          () -> fetch(attributes, bed.request(pod, token))));
    }

    assertThat(failures).allSatisfy(e -> {
      assertThat(e.kind()).isEqualTo(Kind.INTERNAL);
      assertThat(e.isRetryable()).isFalse();
      assertThat(e.getMessage()).contains(SERVICE_ACCOUNT, "expireTime", "iamCredentialsUrl")
          .doesNotContain("next tuesday");
    });
    assertThat(bed.auth.exchanges()).as("the federated token is kept across retries").hasSize(1);
    assertThat(bed.auth.impersonations()).as("one generateAccessToken per attempt").hasSize(3);
    assertThat(bed.global.calls(DB_PASSWORD)).isZero();
  }

  @Test
  void fetch_iamRejectsCredentials_isUnauthenticated() {
    bed.auth.failIam(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    Map<String, String> attributes = new HashMap<>(secretsAttribute(DB_PASSWORD, "db"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);

    assertThat(fetchFailure(attributes).kind()).isEqualTo(Kind.UNAUTHENTICATED);
  }

  @Test
  void fetch_noTokenForTheAudience_isUnauthenticatedNamingTheAudience() {
    Pod pod = bed.pod();
    FetchRequest request = bed.request(pod, Map.of(), Duration.ofSeconds(30));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> fetch(secretsAttribute(DB_PASSWORD, "db"), request));

    assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED);
    assertThat(e.getMessage()).contains(AUDIENCE);
  }

  @Test
  void fetch_providerAdcNotAllowed_isInvalidArgumentBeforeAnyCall() {
    Map<String, String> attributes = new HashMap<>(secretsAttribute(DB_PASSWORD, "db"));
    attributes.put(GcpVolume.AUTH, "provider-adc");

    assertThatThrownBy(() -> backend.prepare(attributes))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("provider-adc", "allowProviderAdc");
    assertThat(fetchFailure(attributes).kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(bed.auth.exchanges()).isEmpty();
  }

  @Test
  void fetch_badResourceName_isInvalidArgumentNamingTheField() {
    BackendException e = fetchFailure(secretsAttribute("projects/p/secrets/s", "x"));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("secrets[0].resourceName", "projects/p/secrets/s");
  }

  @Test
  void fetch_concurrentPodsOnOneBackend_allSucceedWithOneClientPerEndpoint() throws Exception {
    int pods = 8;
    var executor = Executors.newFixedThreadPool(pods);
    try {
      List<Future<Material>> results = new ArrayList<>();
      for (int i = 0; i < pods; i++) {
        Pod pod = Pods.pod("shop", "web-" + i, "web");
        FetchRequest request = bed.request(pod, bed.token(pod));
        results.add(executor.submit(
            () -> fetch(secretsAttribute(DB_PASSWORD, "db", REGIONAL, "eu"), request)));
      }
      for (var result : results) {
        assertThat(contents(result.get(30, TimeUnit.SECONDS)))
            .containsEntry("db", "s3cret-db").containsEntry("eu", "eu-value");
      }
    } finally {
      executor.shutdownNow();
    }
    assertThat(bed.auth.exchanges()).hasSize(pods);
    assertThat(backend.clientEndpoints()).hasSize(2);
  }

  @Test
  void fetchAndFailures_neverLogOrThrowTokens() {
    bed.auth.failSts(400, "invalid_grant", "bad token");
    BackendException e = fetchFailure(secretsAttribute(DB_PASSWORD, "db"));
    bed.auth.recover();
    Material material = fetchOrFail(secretsAttribute(DB_PASSWORD, "db"));

    assertThat(material.files()).hasSize(1);
    LogHygiene.assertNoSecrets(bed.secrets(), e);
    LogHygiene.assertNoSecrets(bed.secrets(), logs.lines());
  }

  private Material fetchOrFail(Map<String, String> attributes) {
    try {
      return fetch(attributes, bed.request());
    } catch (BackendException e) {
      throw new AssertionError("fetch failed: " + e.getMessage(), e);
    }
  }

  /** Prepares {@code attributes} and fetches them, as the host does for a new volume. */
  private Material fetch(Map<String, String> attributes, FetchRequest request)
      throws BackendException {
    return backend.fetch(backend.prepare(attributes), request);
  }

  private BackendException fetchFailure(Map<String, String> attributes) {
    FetchRequest request = bed.request();
    BackendException e =
        catchThrowableOfType(BackendException.class, () -> fetch(attributes, request));
    assertThat(e).as("fetch should have failed").isNotNull();
    return e;
  }

  private static Map<String, String> contents(Material material) {
    Map<String, String> contents = new HashMap<>();
    for (MaterialFile file : material.files()) {
      contents.put(file.path(), new String(file.content(), UTF_8));
    }
    return contents;
  }
}
