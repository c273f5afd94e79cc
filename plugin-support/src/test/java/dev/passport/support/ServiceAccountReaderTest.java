package dev.passport.support;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServiceAccountReaderTest {

  static final String TOKEN = "driver-token-7f3a9c";
  static final String ROLE = "example.com/role";
  static final String OTHER = "example.com/other";
  static final Duration TIMEOUT = Duration.ofSeconds(20);

  @TempDir Path dir;
  final FakeClock clock = FakeClock.at(Instant.parse("2026-12-02T00:00:00Z"));
  FakeApiServer api;
  Path tokenFile;

  @BeforeEach
  void start() throws Exception {
    api = FakeApiServer.http(TOKEN);
    tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
  }

  @AfterEach
  void stop() {
    api.close();
  }

  ServiceAccountReader reader() {
    return reader(ServiceAccountReader.MAX_ENTRIES);
  }

  ServiceAccountReader reader(int maxEntries) {
    return new ServiceAccountReader(new KubernetesAccess(api.url(), TlsTrust.jdk(), tokenFile,
        Duration.ofMinutes(5)), Set.of(ROLE, OTHER), "grant the driver get on serviceaccounts",
        clock, maxEntries);
  }

  @Test
  void annotations_annotatedAccount_keepsOnlyTheWantedOnesReadWithTheDriversToken()
      throws Exception {
    api.put("shop", "web", "{\"" + ROLE + "\":\"arn:one\",\"kubectl/last-applied\":\"{}\","
        + "\"" + OTHER + "\":\"a \\\"quoted\\\" \\u00e9\"}");

    Optional<Map<String, String>> annotations = reader().annotations("shop", "web", TIMEOUT);

    assertThat(annotations).contains(Map.of(ROLE, "arn:one", OTHER, "a \"quoted\" é"));
    assertThat(api.requests()).containsExactly(new FakeApiServer.Request(
        "/api/v1/namespaces/shop/serviceaccounts/web", "Bearer " + TOKEN));
  }

  @Test
  void annotations_accountWithoutAnnotations_isEmptyMap() throws Exception {
    api.put("shop", "web", "null");

    assertThat(reader().annotations("shop", "web", TIMEOUT)).contains(Map.of());
  }

  @Test
  void annotations_missingAccount_isEmptyAndNotCached() throws Exception {
    ServiceAccountReader reader = reader();

    assertThat(reader.annotations("shop", "web", TIMEOUT)).isEmpty();
    api.put("shop", "web", "{\"" + ROLE + "\":\"arn:late\"}");
    assertThat(reader.annotations("shop", "web", TIMEOUT)).contains(Map.of(ROLE, "arn:late"));
  }

  @Test
  void annotations_repeatedWithinTheTtl_readsOnceThenAgainAfterIt() throws Exception {
    api.put("shop", "web", "{\"" + ROLE + "\":\"arn:one\"}");
    ServiceAccountReader reader = reader();

    for (int i = 0; i < 20; i++) {
      clock.advance(Duration.ofSeconds(14));
      assertThat(reader.annotations("shop", "web", TIMEOUT)).contains(Map.of(ROLE, "arn:one"));
    }
    assertThat(api.requests()).hasSize(1);

    api.put("shop", "web", "{\"" + ROLE + "\":\"arn:two\"}");
    // read at 14 s, so due at 5 min 14 s
    clock.advance(Duration.ofSeconds(34));
    assertThat(reader.annotations("shop", "web", TIMEOUT)).contains(Map.of(ROLE, "arn:two"));
    assertThat(api.requests()).hasSize(2);
  }

  @Test
  void annotations_tokenRotatedByKubelet_sendsTheNewToken() throws Exception {
    api.put("shop", "web", "{}");
    ServiceAccountReader reader = reader();
    reader.annotations("shop", "web", TIMEOUT);

    Files.writeString(tokenFile, "rotated-token");
    clock.advance(Duration.ofMinutes(6));
    BackendException e = catchThrowableOfType(BackendException.class,
        () -> reader.annotations("shop", "web", TIMEOUT));

    assertThat(api.requests()).extracting(FakeApiServer.Request::authorization)
        .containsExactly("Bearer " + TOKEN, "Bearer rotated-token");
    assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED);
    assertThat(e.getMessage()).contains(KubernetesAccess.KUBERNETES_TOKEN_FILE,
        tokenFile.toString()).doesNotContain("rotated-token");
  }

  @ParameterizedTest
  @CsvSource({
      "401, UNAUTHENTICATED, kubernetesTokenFile",
      "403, PERMISSION_DENIED, grant the driver get on serviceaccounts",
      "500, UNAVAILABLE, HTTP 500",
      "503, UNAVAILABLE, retrying",
      "429, UNAVAILABLE, HTTP 429"})
  void annotations_apiServerRefuses_isTheKindNamingTheFixNeverTheToken(int status, Kind kind,
      String fix) {
    api.failWith(status);

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> reader().annotations("shop", "web", TIMEOUT));

    assertThat(e.kind()).isEqualTo(kind);
    assertThat(e.getMessage()).contains("shop/web", fix).doesNotContain(TOKEN);
  }

  @Test
  void annotations_tokenFileMissing_isUnavailableNamingTheKey() throws Exception {
    Files.delete(tokenFile);

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> reader().annotations("shop", "web", TIMEOUT));

    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(e.getMessage()).contains(KubernetesAccess.KUBERNETES_TOKEN_FILE);
    assertThat(api.requests()).isEmpty();
  }

  @Test
  void annotations_answerPastTheCap_isRefused() {
    byte[] huge = new byte[(int) ServiceAccountReader.MAX_ANSWER + 1];
    Arrays.fill(huge, (byte) ' ');
    api.answerRaw(huge);

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> reader().annotations("shop", "web", TIMEOUT));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("larger than " + ServiceAccountReader.MAX_ANSWER);
  }

  @Test
  void annotations_wantedValuePastItsCap_isInvalidArgument() {
    api.put("shop", "web", "{\"" + ROLE + "\":\"" + "a".repeat(ServiceAccountReader.MAX_VALUE + 1)
        + "\"}");

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> reader().annotations("shop", "web", TIMEOUT));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains(ROLE);
  }

  @Test
  void annotations_answerNotJson_isUnavailable() {
    api.answerRaw("<html>proxy</html>".getBytes(UTF_8));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> reader().annotations("shop", "web", TIMEOUT));

    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("not JSON");
  }

  @ParameterizedTest
  @CsvSource({"shop/../x, web", "shop, web/../../secrets", "Shop, web", "shop, web?x=1"})
  void annotations_namesThatAreNoKubernetesNames_areRefusedWithoutARequest(String namespace,
      String name) {
    BackendException e = catchThrowableOfType(BackendException.class,
        () -> reader().annotations(namespace, name, TIMEOUT));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(api.requests()).isEmpty();
  }

  @Test
  void annotations_moreAccountsThanTheCap_dropsTheLeastRecentlyUsed() throws Exception {
    ServiceAccountReader reader = reader(3);
    for (int i = 0; i < 4; i++) {
      api.put("shop", "sa-" + i, "{}");
    }
    for (int i = 0; i < 4; i++) {
      reader.annotations("shop", "sa-" + i, TIMEOUT);
    }

    assertThat(reader.size()).isEqualTo(3);
    reader.annotations("shop", "sa-3", TIMEOUT);
    assertThat(api.requests()).hasSize(4);
    reader.annotations("shop", "sa-0", TIMEOUT);
    assertThat(api.requests()).hasSize(5);
  }

  @Test
  void annotations_httpsWithTheClusterCa_trustsTheApiServer() throws Exception {
    TestPki pki = TestPki.create("cluster-ca");
    try (FakeApiServer tls = FakeApiServer.https(TOKEN,
        pki.serverContext(pki.issue("apiserver", "127.0.0.1")))) {
      tls.put("shop", "web", "{\"" + ROLE + "\":\"arn:tls\"}");
      Path ca = pki.writeCa(dir.resolve("ca.crt"));
      ServiceAccountReader reader = new ServiceAccountReader(new KubernetesAccess(tls.url(),
          TlsTrust.jdkAnd(Optional.of(ca), "test key kubernetesCaFile"), tokenFile,
          Duration.ofMinutes(5)), Set.of(ROLE), "grant", clock);
      ServiceAccountReader untrusting = new ServiceAccountReader(new KubernetesAccess(tls.url(),
          TlsTrust.jdk(), tokenFile, Duration.ofMinutes(5)), Set.of(ROLE), "grant", clock);

      assertThat(reader.annotations("shop", "web", TIMEOUT)).contains(Map.of(ROLE, "arn:tls"));
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> untrusting.annotations("shop", "web", TIMEOUT));
      assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
      assertThat(tls.requests()).hasSize(1);
    }
  }
}
