package dev.passport.plugins.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.api.PreparedVolume;
import dev.passport.plugins.http.FakeSecretService.Framing;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.FetchRequests;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The http backend against a fake secret service on loopback. */
class HttpBackendTest {

  private static final String AUDIENCE = "secrets";
  /** The per-fetch byte budget of the size tests, as the host derives it from the volume limit. */
  private static final int BUDGET = 1 << 20;
  /** The answer of the attack: far more than any volume limit, and than a test's heap. */
  private static final long HUGE = 200L << 20;
  private static final Duration BOUNDED_WAIT = Duration.ofSeconds(60);

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final TestBackendContext context = TestBackendContext.create();
  private final FakeClock clock = context.fakeClock();
  private final Pod pod = Pods.pod("shop", "checkout-0", "checkout");
  private FakeSecretService service;
  private Backend<?> backend;

  @BeforeEach
  void start() throws IOException, BackendException {
    service = FakeSecretService.start(tokens, clock, AUDIENCE);
    backend = new HttpBackendFactory().create(
        Map.of("allowedUrlPrefixes", service.url("/v1/")), context);
  }

  @AfterEach
  void stop() {
    backend.close();
    service.close();
    context.close();
  }

  @Test
  void fetch_noFileOrModeAttribute_writesTheBodyToFileBody_withTheHostsDefaultMode()
      throws BackendException {
    service.answer(200, "s3cret\n");

    Material material = fetch(Map.of());

    assertThat(material.files()).containsExactly(
        MaterialFile.of("body", "s3cret\n".getBytes(UTF_8)));
    assertThat(material.files().get(0).chosenMode()).isEmpty();
    assertThat(material.refreshAt()).isEmpty();
  }

  @Test
  void fetch_fileAndMode_writesTheBodyToThatFileWithThatMode() throws BackendException {
    service.answer(200, "-----BEGIN CERTIFICATE-----");

    Material material = fetch(Map.of("file", "ca.crt", "mode", "0644"));

    assertThat(material.files()).containsExactly(
        MaterialFile.of("ca.crt", "-----BEGIN CERTIFICATE-----".getBytes(UTF_8), 0644));
  }

  @Test
  void fetch_sendsThePodsTokenForTheAudienceAsBearerAndTheWholeUrl() throws BackendException {
    service.answer(200, "{}");

    fetch(Map.of());

    assertThat(service.received()).singleElement().satisfies(received -> {
      assertThat(received.uri()).hasToString("/v1/db?version=2");
      assertThat(received.claims().subject()).isEqualTo("system:serviceaccount:shop:checkout");
      assertThat(received.claims().podUid()).isEqualTo(pod.uid());
      assertThat(received.accept()).isEqualTo("*/*");
    });
  }

  @Test
  void fetch_jsonKeys_writesStringsAsTextAndOtherValuesAsJson() throws BackendException {
    service.answer(200, "{\"username\":\"app\",\"password\":\"p\\\"w\",\"port\":5432,"
        + "\"tls\":{\"verify\":true},\"unused\":\"x\"}");

    Material material = fetch(Map.of("jsonKeys", "username, password,port,tls", "mode", "0400"));

    assertThat(material.files()).containsExactly(
        MaterialFile.of("username", "app".getBytes(UTF_8), 0400),
        MaterialFile.of("password", "p\"w".getBytes(UTF_8), 0400),
        MaterialFile.of("port", "5432".getBytes(UTF_8), 0400),
        MaterialFile.of("tls", "{\"verify\":true}".getBytes(UTF_8), 0400));
    assertThat(service.received()).singleElement()
        .satisfies(received -> assertThat(received.accept()).isEqualTo("application/json"));
  }

  @Test
  void fetch_jsonKeyMissing_isNotFoundNamingTheKey() {
    service.answer(200, "{\"username\":\"app\"}");

    assertFetchFails(Map.of("jsonKeys", "username,password"), Kind.NOT_FOUND,
        "has no key \"password\"");
  }

  @Test
  void fetch_jsonKeysButTheBodyIsNotAJsonObject_isInvalidAndDoesNotQuoteTheBody() {
    service.answer(200, "password=hunter2");

    BackendException e = assertFetchFails(Map.of("jsonKeys", "password"),
        Kind.INVALID_ARGUMENT, "did not answer a JSON object");
    assertThat(e).hasNoCause();
    assertThat(e.getMessage()).doesNotContain("hunter2");
  }

  @ParameterizedTest(name = "HTTP {0} -> {1}")
  @CsvSource({"400, INVALID_ARGUMENT", "401, UNAUTHENTICATED", "403, PERMISSION_DENIED",
      "404, NOT_FOUND", "410, NOT_FOUND", "409, FAILED_PRECONDITION", "302, FAILED_PRECONDITION",
      "408, UNAVAILABLE", "429, RESOURCE_EXHAUSTED", "500, UNAVAILABLE", "503, UNAVAILABLE",
      "504, DEADLINE_EXCEEDED"})
  void fetch_httpErrorStatus_mapsToItsKindNamingTheUrlWithoutTheQuery(int status, Kind kind) {
    service.answer(status, "{\"error\":\"as told\"}");

    BackendException e = assertFetchFails(Map.of(), kind,
        service.url("/v1/db") + " answered HTTP " + status);
    assertThat(e.getMessage()).doesNotContain("version=2");
    LogHygiene.assertNoSecrets(tokens.minted(), e);
  }

  @Test
  void fetch_redirect_isNotFollowed() {
    service.answer(302, "", Map.of("Location", service.url("/v1/elsewhere")));

    assertFetchFails(Map.of(), Kind.FAILED_PRECONDITION, "redirects are not followed");
    assertThat(service.received()).hasSize(1);
  }

  @Test
  void fetch_tokenNotAcceptedByTheService_isUnauthenticatedWithoutTheToken() {
    ServiceAccountTokens otherCluster = ServiceAccountTokens.create();
    FetchRequest request =
        request().mintedToken(otherCluster, AUDIENCE, Duration.ofHours(1)).build();

    assertThatThrownBy(() -> fetch(backend, attributes(Map.of()), request))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED);
          LogHygiene.assertNoSecrets(otherCluster.minted(), e);
        });
    assertThat(service.received()).isEmpty();
  }

  @Test
  void fetch_noTokenForTheAudience_isUnauthenticatedNamingTheAudience() {
    FetchRequest request = request().tokens(Map.of()).build();

    assertThatThrownBy(() -> fetch(backend, attributes(Map.of()), request))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED))
        .hasMessageContaining("\"" + AUDIENCE + "\"");
  }

  @Test
  void fetch_nothingListening_isUnavailable() throws IOException, BackendException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/v1/db";
    Backend<?> closed = new HttpBackendFactory().create(Map.of("allowedUrlPrefixes", url), context);

    assertThatThrownBy(() -> fetch(closed, attributes(Map.of("url", url)),
        request().build()))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE))
        .hasMessageContaining("cannot reach " + url);
  }

  @Test
  void fetch_serviceSlowerThanTheDeadline_isDeadlineExceeded() {
    service.answer(200, "late");
    service.stall(Duration.ofMinutes(5));
    FetchRequest request = request().deadlineIn(Duration.ofMillis(300)).build();

    assertThatThrownBy(() -> fetch(backend, attributes(Map.of()), request))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED))
        .hasMessageContaining("did not answer within 300 ms");
  }

  @Test
  void fetch_bodySlowerThanTheDeadline_isDeadlineExceeded() {
    service.answer(200, "a body that never ends");
    service.stallBody(Duration.ofMinutes(5));
    FetchRequest request = request().deadlineIn(Duration.ofMillis(500)).build();

    assertThatThrownBy(() -> fetch(backend, attributes(Map.of()), request))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED))
        .hasMessageContaining("did not answer within 500 ms");
  }

  @Test
  void fetch_deadlineAlreadyPassed_isDeadlineExceededWithoutACall() {
    FetchRequest request = request().deadline(clock.instant()).build();

    assertThatThrownBy(() -> fetch(backend, attributes(Map.of()), request))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED));
    assertThat(service.received()).isEmpty();
  }

  @Test
  void fetch_cacheControlMaxAge_refreshesWhenTheAnswerGoesStale() throws BackendException {
    service.answer(200, "v1", Map.of("Cache-Control", "private, max-age=600"));

    Material material = fetch(Map.of());

    assertThat(material.refreshAt()).contains(clock.instant().plusSeconds(600));
  }

  @Test
  void fetch_cacheControlNoStoreOrMaxAgeZero_leavesTheRefreshToTheHost() throws BackendException {
    service.answer(200, "v1", Map.of("Cache-Control", "no-store, s-max-age=60, max-age=0"));

    assertThat(fetch(Map.of()).refreshAt()).isEmpty();
  }

  @ParameterizedTest(name = "refreshInterval={0}")
  @CsvSource({"1h30m, 5400", "90s, 90", "PT1H30M, 5400"})
  void fetch_refreshIntervalInGoOrIsoSyntaxAndNoMaxAge_refreshesAfterThatInterval(String interval,
      long seconds) throws BackendException {
    backend = new HttpBackendFactory().create(Map.of("allowedUrlPrefixes", service.url("/v1/"),
        "refreshInterval", interval), context);
    service.answer(200, "v1");

    assertThat(fetch(Map.of()).refreshAt()).contains(clock.instant().plusSeconds(seconds));
  }

  @Test
  void fetch_maxAgeAndRefreshInterval_maxAgeWins() throws BackendException {
    backend = new HttpBackendFactory().create(Map.of("allowedUrlPrefixes", service.url("/v1/"),
        "refreshInterval", "1h"), context);
    service.answer(200, "v1", Map.of("Cache-Control", "max-age=60"));

    assertThat(fetch(Map.of()).refreshAt()).contains(clock.instant().plusSeconds(60));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Framing.class)
  void fetch_bodyOf200MbPastTheBudget_isResourceExhaustedNamingTheLimit_andDropsTheConnection(
      Framing framing) throws Exception {
    service.answerLarge(200, "", HUGE, framing);

    BackendException e = assertBudgetRefuses(Map.of());

    assertThat(e.getMessage()).contains("reading the answer of " + service.url("/v1/db") + ": ")
        .contains("limit of " + BUDGET + " bytes");
    assertConnectionDroppedEarly();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Framing.class)
  void fetch_jsonKeysAndA200MbObjectPastTheBudget_isResourceExhausted_andDropsTheConnection(
      Framing framing) throws Exception {
    service.answerLarge(200, "{\"username\":\"app\",\"password\":\"", HUGE, framing);

    assertBudgetRefuses(Map.of("jsonKeys", "username,password"));

    assertConnectionDroppedEarly();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Framing.class)
  void fetch_bodyExactlyAtTheBudget_isWrittenWhole(Framing framing) throws Exception {
    service.answerLarge(200, "", BUDGET, framing);

    Material material = fetch(backend, attributes(Map.of()), budgeted(BUDGET));

    assertThat(material.files()).singleElement()
        .satisfies(file -> assertThat(file.size()).isEqualTo(BUDGET));
    assertThat(service.largeAnswer(BOUNDED_WAIT).complete()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Framing.class)
  void fetch_bodyOneBytePastTheBudget_isResourceExhausted(Framing framing) {
    service.answerLarge(200, "", BUDGET + 1, framing);

    assertBudgetRefuses(Map.of());
  }

  @Test
  void fetch_jsonKeysOfABodyAtTheBudget_parsesItAsAStream() throws BackendException {
    String head = "{\"password\":\"s3cret\",\"padding\":\"";
    // a body of exactly the budget, most of it a key the volume does not want: skipped as parsed
    service.answer(200, head + "x".repeat(BUDGET - head.length() - 2) + "\"}");

    Material material = fetch(backend, attributes(Map.of("jsonKeys", "password")),
        budgeted(BUDGET));

    assertThat(material.files()).containsExactly(
        MaterialFile.of("password", "s3cret".getBytes(UTF_8)));
  }

  @Test
  void fetch_jsonKeysAndAValueNested100kDeep_isInvalidWithoutQuotingTheBody() {
    int depth = 100_000;
    service.answer(200, "{\"skipped\":" + "[".repeat(depth) + "]".repeat(depth)
        + ",\"password\":\"hunter2\"}");

    BackendException e = assertFetchFails(Map.of("jsonKeys", "password"),
        Kind.INVALID_ARGUMENT, "did not answer a JSON object");

    assertThat(e).hasNoCause();
    assertThat(e.getMessage()).doesNotContain("hunter2").doesNotContain("[[");
  }

  @Test
  void fetch_errorStatusWithA200MbBody_answersTheStatusKindWithoutReadingTheBody()
      throws Exception {
    service.answerLarge(404, "", HUGE, Framing.CHUNKED);

    BackendException e = assertThrows(() -> fetch(backend, attributes(Map.of()),
        budgeted(BUDGET)));

    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
    assertConnectionDroppedEarly();
  }

  @Test
  void fetch_afterABodyPastTheBudget_theNextFetchSucceeds() throws BackendException {
    service.answerLarge(200, "", HUGE, Framing.CHUNKED);
    assertBudgetRefuses(Map.of());
    service.answer(200, "small");

    assertThat(fetch(backend, attributes(Map.of()), budgeted(BUDGET)).files())
        .containsExactly(MaterialFile.of("body", "small".getBytes(UTF_8)));
  }

  @Test
  void prepare_remoteIsTheUrlsOriginWithItsPort() throws BackendException {
    PreparedVolume volume = backend.prepare(attributes(Map.of()));

    assertThat(volume.remote()).contains(service.url(""));
  }

  /** The fetch with a budget of {@link #BUDGET} fails as the budget says, quoting no body. */
  private BackendException assertBudgetRefuses(Map<String, String> extraAttributes) {
    BackendException e = assertThrows(() -> fetch(backend, attributes(extraAttributes),
        budgeted(BUDGET)));
    assertThat(e.kind()).as("kind of: %s", e.getMessage()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("limit of " + BUDGET + " bytes").doesNotContain("xxx");
    assertThat(e).hasNoCause();
    return e;
  }

  /** The service could not write the whole body: the client dropped the connection. */
  private void assertConnectionDroppedEarly() throws Exception {
    FakeSecretService.LargeAnswer answer = service.largeAnswer(BOUNDED_WAIT);
    assertThat(answer.complete()).as("the service wrote the whole body").isFalse();
    assertThat(answer.written()).isLessThan(answer.size());
  }

  private static BackendException assertThrows(ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).isInstanceOf(BackendException.class);
    return (BackendException) thrown;
  }

  /** The pod's request with a byte budget of {@code limit}, as the host gives each fetch. */
  private FetchRequest budgeted(long limit) {
    FetchRequest request = request().build();
    return FetchRequest.builder().volumeId(request.volumeId()).pod(request.pod())
        .tokens(request.tokens()).previous(request.previous()).deadline(request.deadline())
        .budget(ByteBudget.limitedTo(limit)).build();
  }

  /** Prepares a volume with the url, the audience and {@code extraAttributes}, and fetches it. */
  private Material fetch(Map<String, String> extraAttributes) throws BackendException {
    return fetch(backend, attributes(extraAttributes), request().build());
  }

  private static <V extends PreparedVolume> Material fetch(Backend<V> backend,
      Map<String, String> attributes, FetchRequest request) throws BackendException {
    return backend.fetch(backend.prepare(attributes), request);
  }

  /** The pod's request with its tokens for the service's audience and another, due in 30 s. */
  private FetchRequests.Builder request() {
    return FetchRequests.forPod(pod).clock(clock)
        .mintedToken(tokens, AUDIENCE, Duration.ofHours(1))
        .mintedToken(tokens, "vault", Duration.ofHours(1));
  }

  private Map<String, String> attributes(Map<String, String> extra) {
    Map<String, String> attributes = new HashMap<>(
        Map.of("url", service.url("/v1/db?version=2"), "audience", AUDIENCE));
    attributes.putAll(extra);
    return attributes;
  }

  private BackendException assertFetchFails(Map<String, String> extraAttributes, Kind kind,
      String messagePart) {
    try {
      fetch(extraAttributes);
    } catch (BackendException e) {
      assertThat(e.kind()).as("kind of: %s", e.getMessage()).isEqualTo(kind);
      assertThat(e.getMessage()).contains(messagePart);
      return e;
    }
    throw new AssertionError("expected the fetch to fail with " + kind);
  }
}
