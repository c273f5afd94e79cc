package dev.passport.host.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import csi.v1.Csi;
import dev.passport.api.BackendException;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CountingBackend;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.testing.TestHosts;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21: a failed fetch is one WARNING line, logged by the host, with the gRPC code and the
 * backend's message and no stack trace; the cache library adds nothing (it used to log a second
 * WARN with a 60-line stack trace for each failed load). Through the real socket, with the
 * production JSON configuration.
 */
class FailedFetchLogTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.pod-token-" + System.nanoTime();

  @TempDir Path dir;

  @Test
  void publish_backendUnavailable_logsOneWarningLineWithoutAStackTrace() throws Exception {
    CountingBackend backend = new CountingBackend();
    backend.fail(BackendException.Kind.UNAVAILABLE);
    Path target = Requests.target(dir.resolve("kubelet"), "csi-failing-1");
    Csi.NodePublishVolumeRequest request = Requests.publish("csi-failing-1", target,
        Map.of("backend", CountingBackend.NAME),
        Requests.tokensJson(Map.of(CountingBackend.AUDIENCE, TOKEN), Instant.now().plusSeconds(3600)))
        .build();
    List<JsonNode> lines = new ArrayList<>();
    try (EncodedLogCapture log = new EncodedLogCapture(LogFormat.JSON, "INFO")) {
      try (PassportHost host = TestHosts.builder(dir, dir.resolve("kubelet"))
              .backendFactory(backend, Map.of())
              .start();
          CsiClient client = new CsiClient(host.socket())) {
        assertThatThrownBy(() -> client.node().nodePublishVolume(request))
            .isInstanceOf(StatusRuntimeException.class)
            .hasMessageContaining("UNAVAILABLE");
      }
      for (String line : log.lines()) {
        lines.add(JSON.readTree(line));
      }
    }

    List<JsonNode> problems = lines.stream()
        .filter(l -> List.of("WARNING", "ERROR").contains(l.path("severity").asText()))
        .toList();
    assertThat(problems).as("WARNING/ERROR lines of one failed publish: %s", problems).hasSize(1);
    JsonNode problem = problems.get(0);
    assertThat(problem.path("message").asText())
        .contains("csi-failing-1").contains("UNAVAILABLE").contains("backend is down");
    assertThat(problem.path("logger").asText()).startsWith("dev.passport.host");
    assertThat(problem.has("stack_trace")).isFalse();
    assertThat(lines).noneMatch(l -> l.path("logger").asText().startsWith("com.github.benmanes"));
    assertThat(lines).noneMatch(l -> l.toString().contains("pod-token"));
  }
}
