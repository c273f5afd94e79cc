package dev.passport.host.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * The fields of {@link RpcLogContext} in the real JSON log configuration
 * ({@code passport-logback-json.xml}), in a logger context of its own so other tests keep theirs.
 */
class RpcLogContextTest {

  private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.pod-token-" + System.nanoTime();
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void publishLine_inJsonFormat_parsesAndCarriesEveryRpcField() throws Exception {
    List<JsonNode> lines = jsonLines(log -> {
      try (RpcLogContext rpc = RpcLogContext.start("NodePublishVolume", "csi-abc123")) {
        rpc.volumeContext(volumeContext());
        rpc.end("OK");
        log.info("published volume {}", "csi-abc123");
      }
    });

    assertThat(lines).hasSize(1);
    JsonNode line = lines.get(0);
    assertThat(line.path("severity").asText()).isEqualTo("INFO");
    assertThat(line.path("message").asText()).isEqualTo("published volume csi-abc123");
    assertThat(line.has("arguments")).as("arguments would repeat the message").isFalse();
    JsonNode mdc = line;
    assertThat(mdc.path("rpc").asText()).isEqualTo("NodePublishVolume");
    assertThat(mdc.path("volume_id").asText()).isEqualTo("csi-abc123");
    assertThat(mdc.path("namespace").asText()).isEqualTo("shop");
    assertThat(mdc.path("pod").asText()).isEqualTo("web-0");
    assertThat(mdc.path("backend").asText()).isEqualTo("vault");
    assertThat(mdc.path("code").asText()).isEqualTo("OK");
    assertThat(Long.parseLong(mdc.path("duration_ms").asText())).isNotNegative();
  }

  @Test
  void failedUnpublish_inJsonFormat_carriesTheErrorCode() throws Exception {
    List<JsonNode> lines = jsonLines(log -> {
      try (RpcLogContext rpc = RpcLogContext.start("NodeUnpublishVolume", "csi-abc123")) {
        rpc.pod("shop", "web-0").backend("gcp");
        rpc.end("INTERNAL");
        log.warn("unpublish of volume {} failed", "csi-abc123");
      }
    });

    JsonNode mdc = lines.get(0);
    assertThat(mdc.path("severity").asText()).isEqualTo("WARNING");
    assertThat(mdc.path("rpc").asText()).isEqualTo("NodeUnpublishVolume");
    assertThat(mdc.path("backend").asText()).isEqualTo("gcp");
    assertThat(mdc.path("code").asText()).isEqualTo("INTERNAL");
  }

  @Test
  void volumeContext_withTokens_copiesNoToken() throws Exception {
    List<String> raw = new ArrayList<>();
    List<JsonNode> lines = jsonLines(log -> {
      try (RpcLogContext rpc = RpcLogContext.start("NodePublishVolume", "csi-abc123")) {
        rpc.volumeContext(volumeContext());
        log.info("publishing");
        rpc.end("OK");
        log.info("published");
      }
    }, raw);

    assertThat(lines).hasSize(2);
    assertThat(String.join("\n", raw)).doesNotContain(TOKEN).doesNotContain("pod-token");
    lines.forEach(line -> assertThat(fieldNames(line)).isSubsetOf("timestamp", "severity",
        "message", "logger", "thread", "rpc", "volume_id", "namespace", "pod", "backend", "code",
        "duration_ms"));
  }

  @Test
  void close_restoresTheThreadsPreviousContext() {
    MDC.put("rpc", "outer");
    try {
      try (RpcLogContext rpc = RpcLogContext.start("NodePublishVolume", "csi-1")) {
        rpc.end("OK");
        assertThat(MDC.get("rpc")).isEqualTo("NodePublishVolume");
      }
      assertThat(MDC.get("rpc")).isEqualTo("outer");
      assertThat(MDC.get("volume_id")).isNull();
      assertThat(MDC.get("code")).isNull();
    } finally {
      MDC.remove("rpc");
    }
  }

  private static Map<String, String> volumeContext() {
    Map<String, String> context = new LinkedHashMap<>();
    context.put("backend", "vault");
    context.put("roleName", "web");
    context.put("csi.storage.k8s.io/pod.name", "web-0");
    context.put("csi.storage.k8s.io/pod.namespace", "shop");
    context.put("csi.storage.k8s.io/pod.uid", "2f4c1b1e-0000-4000-8000-000000000001");
    context.put("csi.storage.k8s.io/serviceAccount.tokens",
        "{\"vault\":{\"token\":\"" + TOKEN + "\",\"expirationTimestamp\":\"2026-11-26T15:00:00Z\"}}");
    return context;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static List<JsonNode> jsonLines(Consumer<Logger> logging) throws Exception {
    return jsonLines(logging, new ArrayList<>());
  }

  /** Logs through passport-logback-json.xml (a ConsoleAppender on System.err) and parses each line. */
  private static List<JsonNode> jsonLines(Consumer<Logger> logging, List<String> raw) throws Exception {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(MDC.getMDCAdapter());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      configurator.doConfigure(RpcLogContextTest.class.getResource("/passport-logback-json.xml"));
      logging.accept(context.getLogger("dev.passport.host.publish.Publisher"));
    } finally {
      context.stop();
      System.setErr(originalErr);
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : captured.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        raw.add(line);
        lines.add(JSON.readTree(line));
      }
    }
    return lines;
  }
}
