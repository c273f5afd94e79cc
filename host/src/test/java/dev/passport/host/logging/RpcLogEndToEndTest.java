package dev.passport.host.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CountingBackend;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.MountMode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The real publish path on a real socket, logging JSON the way {@code --log-format json} does. */
class RpcLogEndToEndTest {

  private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.pod-token-" + System.nanoTime();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VOLUME = "csi-log-1";

  @TempDir Path dir;

  @Test
  void publish_logsAJsonLineWithTheCallsFields_andNoToken() throws Exception {
    List<String> raw = new ArrayList<>();
    List<JsonNode> lines = publishAndUnpublish(raw);

    JsonNode published = closingLine(lines, "NodePublishVolume");
    assertThat(published.path("volume_id").asText()).isEqualTo(VOLUME);
    assertThat(published.path("namespace").asText()).isEqualTo("shop");
    assertThat(published.path("pod").asText()).isEqualTo("web-0");
    assertThat(published.path("backend").asText()).isEqualTo(CountingBackend.NAME);
    assertThat(published.path("code").asText()).isEqualTo("OK");
    assertThat(published.has("duration_ms")).isTrue();
    assertThat(String.join("\n", raw)).doesNotContain(TOKEN).doesNotContain("pod-token");
  }

  @Test
  void unpublish_logsAJsonLineWithTheCallsCodeAndDuration() throws Exception {
    JsonNode unpublished = closingLine(publishAndUnpublish(new ArrayList<>()), "NodeUnpublishVolume");

    assertThat(unpublished.path("volume_id").asText()).isEqualTo(VOLUME);
    assertThat(unpublished.path("backend").asText()).isEqualTo(CountingBackend.NAME);
    assertThat(unpublished.path("code").asText()).isEqualTo("OK");
    assertThat(unpublished.has("duration_ms")).isTrue();
  }

  /** Publishes and unpublishes one volume through a real host; every JSON line logged meanwhile. */
  private List<JsonNode> publishAndUnpublish(List<String> raw) throws Exception {
    Path target = Requests.target(dir.resolve("kubelet"), VOLUME);
    String tokens = Requests.tokensJson(Map.of(CountingBackend.AUDIENCE, TOKEN),
        Instant.now().plusSeconds(3600));
    Csi.NodePublishVolumeRequest request =
        Requests.publish(VOLUME, target, Map.of("backend", CountingBackend.NAME), tokens).build();
    try (JsonCapture capture = new JsonCapture();
        PassportHost host = PassportHost.builder()
            .socket(dir.resolve("csi.sock"))
            .stateDir(dir.resolve("state"))
            .mountMode(MountMode.DIRECTORY)
            .kubeletDir(dir.resolve("kubelet"))
            .backendFactory(new CountingBackend(), Map.of())
            .start()) {
      CsiClient client = new CsiClient(host.socket());
      try {
        client.node().nodePublishVolume(request);
        client.node().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder()
            .setVolumeId(VOLUME).setTargetPath(target.toString()).build());
      } finally {
        client.close();
      }
      return capture.lines(raw);
    }
  }

  /** The INFO line of a call that carries its outcome. */
  private static JsonNode closingLine(List<JsonNode> lines, String rpc) {
    List<JsonNode> closing = lines.stream()
        .filter(l -> l.path("rpc").asText().equals(rpc))
        .filter(l -> l.has("code") && l.path("severity").asText().equals("INFO"))
        .toList();
    assertThat(closing).as("INFO lines of %s with a code", rpc).isNotEmpty();
    return closing.get(0);
  }

  /** A JSON appender on the root logger at DEBUG (request logging included), removed on close. */
  private static final class JsonCapture implements AutoCloseable {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Level previous = root.getLevel();
    private final OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();

    JsonCapture() {
      RedactingJsonEncoder encoder = new RedactingJsonEncoder();
      encoder.setContext(root.getLoggerContext());
      encoder.start();
      appender.setContext(root.getLoggerContext());
      appender.setEncoder(encoder);
      appender.setOutputStream(out);
      appender.start();
      root.addAppender(appender);
      root.setLevel(Level.DEBUG);
    }

    synchronized List<JsonNode> lines(List<String> raw) throws Exception {
      List<JsonNode> lines = new ArrayList<>();
      for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank()) {
          raw.add(line);
          lines.add(JSON.readTree(line));
        }
      }
      return lines;
    }

    @Override
    public void close() {
      root.detachAppender(appender);
      root.setLevel(previous);
      appender.stop();
    }
  }
}
