package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.secretsAttribute;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every byte the gcp backend reads goes through a cap (issue 13): Secret Manager answers through
 * the fetch's byte budget (gRPC refuses an oversized message from its length prefix), and
 * STS / IAM Credentials answers through {@link BoundedHttpTransport}'s 64 KiB.
 */
class GcpBoundedReadsTest {

  static final String FIRST = "projects/test-project/secrets/first/versions/1";
  static final String SECOND = "projects/test-project/secrets/second/versions/1";
  static final int MIB = 1024 * 1024;

  @TempDir Path tempDir;
  GcpTestbed bed;
  GcpBackend backend;

  @RegisterExtension
  final LogCapture logs = LogCapture.checkingFor(() -> bed == null ? List.of() : bed.secrets());

  @BeforeEach
  void start() throws Exception {
    bed = new GcpTestbed(tempDir);
    backend = bed.backend();
  }

  @AfterEach
  void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
    bed.close();
  }

  @Test
  void fetch_payloadLargerThanTheVolumeLimit_isResourceExhaustedNamingTheLimit() {
    bed.global.put(FIRST, filler(2000));

    BackendException e = failure(secretsAttribute(FIRST, "f"), ByteBudget.limitedTo(1024));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("limit of 1024 bytes");
  }

  @Test
  void fetch_payloadOfMegabytes_isRefusedByGrpcBeforeItIsReadNamingTheLimit() {
    bed.global.put(FIRST, filler(5 * MIB));

    BackendException e = failure(secretsAttribute(FIRST, "f"), ByteBudget.limitedTo(1024));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains(FIRST, "limit of 1024 bytes");
  }

  @Test
  void fetch_payloadsTogetherOverTheVolumeLimit_isResourceExhausted() {
    String third = "projects/test-project/secrets/third/versions/1";
    bed.global.put(FIRST, filler(700));
    bed.global.put(SECOND, filler(700));
    bed.global.put(third, filler(700));

    BackendException e = failure(
        secretsAttribute(FIRST, "a", SECOND, "b", third, "c"), ByteBudget.limitedTo(1024));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("limit of 1024 bytes");
  }

  @Test
  void fetch_payloadsExactlyAtTheVolumeLimit_areRead() throws Exception {
    bed.global.put(FIRST, filler(512));
    bed.global.put(SECOND, filler(512));

    Material material = fetch(
        secretsAttribute(FIRST, "a", SECOND, "b"), bed.request(ByteBudget.limitedTo(1024)));

    assertThat(material.files()).hasSize(2);
  }

  @Test
  void fetch_payloadAboveWhatSecretManagerStores_withoutAHostLimit_isResourceExhausted()
      throws Exception {
    bed.global.put(FIRST, filler(GcpBackend.MAX_PAYLOAD + 1));
    bed.global.put(SECOND, filler(GcpBackend.MAX_PAYLOAD));

    BackendException e = failure(secretsAttribute(FIRST, "f"), ByteBudget.unlimited());
    Material largest = fetch(secretsAttribute(SECOND, "s"), bed.request(ByteBudget.unlimited()));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("payload limit of 65536 bytes", "secretManagerEndpoint");
    assertThat(largest.files()).singleElement()
        .satisfies(file -> assertThat(file.content()).hasSize(GcpBackend.MAX_PAYLOAD));
  }

  @Test
  void fetch_stsAnswersAHugeAnnouncedBody_isRefusedBeforeReadingIt() {
    bed.auth.floodSts(new FakeGoogleAuth.Flood(200, 200L * MIB, true, false));

    assertRefusedAsTooLarge(stsFailure());
  }

  @Test
  void fetch_stsAnswersAHugeChunkedBody_stopsReadingAtTheCap() {
    bed.auth.floodSts(new FakeGoogleAuth.Flood(200, 200L * MIB, false, false));

    assertRefusedAsTooLarge(stsFailure());
  }

  @Test
  void fetch_stsAnswersAGzipBomb_stopsInflatingAtTheCap() {
    bed.auth.floodSts(new FakeGoogleAuth.Flood(200, 200L * MIB, false, true));

    assertRefusedAsTooLarge(stsFailure());
  }

  @Test
  void fetch_stsAnswersAHugeErrorBody_failsCleanlyReadingOnlyItsStart() {
    bed.auth.floodSts(new FakeGoogleAuth.Flood(400, 200L * MIB, false, false));

    BackendException e = stsFailure();

    assertThat(e.kind()).isIn(Kind.UNAUTHENTICATED, Kind.UNAVAILABLE);
    assertThat(e.getMessage()).hasSizeLessThan(BoundedHttpTransport.RESPONSE_LIMIT);
  }

  @Test
  void fetch_afterAFlood_theNextFetchSucceeds() throws Exception {
    bed.auth.floodSts(new FakeGoogleAuth.Flood(200, 200L * MIB, false, false));
    stsFailure();
    bed.auth.recover();
    bed.global.put(FIRST, "ok".getBytes(UTF_8));

    Material material = fetch(secretsAttribute(FIRST, "f"), bed.request());

    assertThat(material.files()).hasSize(1);
  }

  @Test
  void fetch_stsAnswersHttp429_isResourceExhaustedQuotingGoogle() {
    bed.auth.failSts(429, "rate_limit_exceeded", "Quota exceeded for token exchanges.");

    BackendException e = stsFailure();

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("Google STS", "HTTP 429",
        "Quota exceeded for token exchanges.");
  }

  private void assertRefusedAsTooLarge(BackendException e) {
    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains(bed.auth.stsTokenUrl(), "more than 65536 bytes",
        "stsTokenUrl");
    LogHygiene.assertNoSecrets(bed.secrets(), e);
  }

  private BackendException stsFailure() {
    bed.global.put(FIRST, "unread".getBytes(UTF_8));
    return failure(secretsAttribute(FIRST, "f"), ByteBudget.limitedTo(MIB));
  }

  private Material fetch(Map<String, String> attributes, FetchRequest request)
      throws BackendException {
    return backend.fetch(backend.prepare(attributes), request);
  }

  private BackendException failure(Map<String, String> attributes, ByteBudget budget) {
    FetchRequest request = bed.request(budget);
    BackendException e =
        catchThrowableOfType(BackendException.class, () -> fetch(attributes, request));
    assertThat(e).as("fetch should have failed").isNotNull();
    return e;
  }

  private static byte[] filler(int size) {
    byte[] data = new byte[size];
    Arrays.fill(data, (byte) 'x');
    return data;
  }
}
