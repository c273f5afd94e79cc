package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.SERVICE_ACCOUNT;
import static dev.passport.plugins.gcp.GcpTestbed.secretsAttribute;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gcp backend under the host's production logging at its most verbose (java.util.logging
 * bridged into SLF4J, every level propagated, root at ALL): no pod token and no Google access token
 * reaches a log line. Issue 13 found google-http-client's {@code HttpTransport} logging the STS
 * form (the pod's token) and both token responses at CONFIG, which the bridge turns into INFO, and
 * the JDK's {@code HttpURLConnection} logging the IAM call's {@code Authorization} header at FINE.
 */
class GcpProductionLoggingTest {

  static final String GLOBAL = "projects/test-project/secrets/db-password/versions/3";
  static final String REGIONAL =
      "projects/test-project/locations/europe-west1/secrets/eu/versions/1";

  @TempDir Path tempDir;
  GcpTestbed bed;
  GcpBackend backend;

  @RegisterExtension
  final LogCapture logs = LogCapture.checkingFor(() -> bed == null ? List.of() : bed.secrets());

  @RegisterExtension
  final ProductionLogging production = new ProductionLogging(Level.ALL);

  @BeforeEach
  void start() throws Exception {
    bed = new GcpTestbed(tempDir);
    bed.global.put(GLOBAL, "s3cret-db".getBytes(UTF_8));
    bed.regional.put(REGIONAL, "eu-value".getBytes(UTF_8));
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
  void fetchWithImpersonation_atAllLevels_logsNoPodTokenAndNoGoogleAccessToken()
      throws Exception {
    Map<String, String> attributes =
        new HashMap<>(secretsAttribute(GLOBAL, "db", REGIONAL, "eu"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);

    backend.fetch(backend.prepare(attributes), bed.request());

    assertThat(bed.auth.federatedTokens()).hasSize(1);
    assertThat(bed.auth.serviceAccountTokens()).hasSize(1);
    // the check is not vacuous: what java.util.logging logs at its finest reaches the capture
    java.util.logging.Logger.getLogger("dev.passport.test.jul").finest("bridged");
    assertThat(logs.lines()).anyMatch(line -> line.contains("bridged"));
  }

  @Test
  void fetchWithAShortName_atAllLevels_logsNoHexDumpOfThePayload() throws Exception {
    // grpc-okhttp's frame logger hex-dumps a DATA frame's first 64 bytes at FINE: with a short
    // resource name the payload is among them (LibraryLogs pins that logger)
    String shortName = "projects/test-project/secrets/s/versions/1";
    byte[] payload = "hex-me".getBytes(UTF_8);
    bed.global.put(shortName, payload);

    backend.fetch(backend.prepare(secretsAttribute(shortName, "s")), bed.request());

    String hex = HexFormat.of().formatHex(payload);
    assertThat(logs.lines()).isNotEmpty().noneMatch(line -> line.contains(hex));
  }

  @Test
  void failedExchangesAndImpersonations_atAllLevels_logNoToken() throws Exception {
    Map<String, String> attributes = new HashMap<>(secretsAttribute(GLOBAL, "db"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);
    bed.auth.failIam(403, "PERMISSION_DENIED", "Permission denied on resource.");

    Throwable failure = catchThrowable(
        () -> backend.fetch(backend.prepare(attributes), bed.request()));

    assertThat(failure).isNotNull();
    LogHygiene.assertNoSecrets(bed.secrets(), failure);
  }
}
