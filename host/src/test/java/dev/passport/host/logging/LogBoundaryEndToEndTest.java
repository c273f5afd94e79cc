package dev.passport.host.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import csi.v1.Csi;
import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.testing.TestHosts;
import dev.passport.testkit.LogHygiene;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The log and token boundary of issue 13 through a real host on its real socket, with the
 * production logging (the host's own logback files, the JUL bridge) at TRACE, checked on what the
 * production appender wrote.
 */
class LogBoundaryEndToEndTest {

  /** What a forged line would start with: a timestamp and level, as the text pattern writes. */
  private static final String FORGED = "2026-01-01T00:00:00.000Z INFO  [main] forged";
  private static final String AUDIENCE = "app";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final ChattyBackend backend = new ChattyBackend();
  private PassportHost host;
  private CsiClient client;

  @BeforeEach
  void startHost() throws Exception {
    host = TestHosts.builder(dir, dir.resolve("kubelet"))
        .backendFactory(backend, Map.of())
        .start();
    client = new CsiClient(host.socket());
  }

  @AfterEach
  void stopHost() {
    client.close();
    host.close();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LogFormat.class)
  void publish_controlCharactersInBackendAttributeNamesOrVolumeId_forgeNoLogLine(LogFormat format)
      throws Exception {
    List<String> lines;
    try (EncodedLogCapture log = new EncodedLogCapture(format, "TRACE")) {
      for (String separator : List.of("\n", "\r", "\r\n", "\u2028", "\u0085")) {
        refused(publish("csi-a", Map.of("backend", "nope" + separator + FORGED + " backend"),
            tokens(AUDIENCE, randomToken())), Status.Code.INVALID_ARGUMENT);
        refused(publish("csi-b", Map.of("backend", ChattyBackend.NAME,
            "x" + separator + FORGED + " attribute", "v"), tokens(AUDIENCE, randomToken())),
            Status.Code.INVALID_ARGUMENT);
        refused(publish("csi-c" + separator + FORGED + " volume",
            Map.of("backend", ChattyBackend.NAME), tokens(AUDIENCE, randomToken())),
            Status.Code.INVALID_ARGUMENT);
      }
      lines = log.lines();
    }

    assertThat(lines).as("the pod-chosen values were logged (escaped)")
        .anyMatch(l -> l.contains("forged backend"))
        .anyMatch(l -> l.contains("forged attribute"))
        .anyMatch(l -> l.contains("forged volume"));
    assertThat(lines).as("no line may start where a pod-chosen value put a line break")
        .noneMatch(l -> l.startsWith(FORGED) || l.startsWith("\r" + FORGED)
            || l.contains("\r") || l.contains("\u2028") || l.contains("\u0085"));
    if (format == LogFormat.JSON) {
      for (String line : lines) {
        assertThat(JSON.readTree(line).isObject()).as("a JSON object per line: %s", line).isTrue();
      }
    }
  }

  @Test
  void publish_tokensJsonNested100kDeep_isInvalidArgumentNamingTheLimitAndTheHostKeepsServing() {
    String deep = "{\"" + AUDIENCE + "\":{\"token\":\"" + randomToken() + "\","
        + "\"expirationTimestamp\":\"" + Instant.now().plusSeconds(3600) + "\",\"extra\":"
        + "[".repeat(100_000) + "]".repeat(100_000) + "}}";

    StatusRuntimeException e = refused(publish("csi-deep", Map.of("backend", ChattyBackend.NAME),
        deep), Status.Code.INVALID_ARGUMENT);

    assertThat(e.getStatus().getDescription()).contains("deeper than 8 levels");
    assertServing();
  }

  @Test
  void publish_tokensJsonLargerThanTheLimit_isInvalidArgumentNamingTheLimit() {
    String large = "{\"" + AUDIENCE + "\":{\"token\":\"" + "t".repeat(300_000) + "\","
        + "\"expirationTimestamp\":\"" + Instant.now().plusSeconds(3600) + "\"}}";

    StatusRuntimeException e = refused(publish("csi-large", Map.of("backend", ChattyBackend.NAME),
        large), Status.Code.INVALID_ARGUMENT);

    assertThat(e.getStatus().getDescription()).contains("more than the 262144 allowed");
    assertServing();
  }

  @Test
  void publish_badExpirationTimestamp_isRefusedWithoutEchoingTheValue() {
    String value = "not-a-time-" + randomToken();
    String json = "{\"" + AUDIENCE + "\":{\"token\":\"" + randomToken() + "\","
        + "\"expirationTimestamp\":\"" + value + "\"}}";

    StatusRuntimeException e = refused(publish("csi-expiry", Map.of("backend", ChattyBackend.NAME),
        json), Status.Code.INVALID_ARGUMENT);

    assertThat(e.getStatus().getDescription()).contains("\"expirationTimestamp\" is not an RFC 3339")
        .doesNotContain(value);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LogFormat.class)
  void fetch_aLibraryLogsTheTokenThroughJulAtFinest_theEncodedOutputHasItMasked(LogFormat format) {
    String token = randomToken();
    List<String> lines;
    try (EncodedLogCapture log = new EncodedLogCapture(format, "TRACE")) {
      client.node().nodePublishVolume(publish("csi-chatty", Map.of("backend", ChattyBackend.NAME),
          tokens(AUDIENCE, token)));
      lines = log.lines();
    } catch (Exception e) {
      throw new AssertionError(e);
    }

    assertThat(lines).as("the library's lines reached the sink")
        .anyMatch(l -> l.contains(ChattyBackend.FINEST_MARKER))
        .anyMatch(l -> l.contains(ChattyBackend.FINER_MARKER));
    LogHygiene.assertNoSecrets(List.of(token, ChattyBackend.UNSEEN_JWT), lines);
  }

  @Test
  void fetch_kubeletSentTokensForOtherAudiences_thePluginReceivesOnlyItsDeclaredOnes() {
    Map<String, String> sent = new LinkedHashMap<>();
    sent.put(AUDIENCE, randomToken());
    sent.put("https://kubernetes.default.svc", randomToken());
    sent.put("another-plugin", randomToken());

    client.node().nodePublishVolume(publish("csi-least", Map.of("backend", ChattyBackend.NAME),
        Requests.tokensJson(sent, Instant.now().plusSeconds(3600))));

    assertThat(backend.received).as("audiences of the tokens in each FetchRequest")
        .isNotEmpty().allSatisfy(audiences -> assertThat(audiences).containsOnly(AUDIENCE));
  }

  // ---- helpers -------------------------------------------------------------------------------

  private Csi.NodePublishVolumeRequest publish(String volumeId, Map<String, String> attributes,
      String tokensJson) {
    String safeId = volumeId.replaceAll("[^A-Za-z0-9-]", "_");
    Path target = Requests.target(dir.resolve("kubelet"), safeId);
    return Requests.publish(volumeId, target, attributes, tokensJson).build();
  }

  private StatusRuntimeException refused(Csi.NodePublishVolumeRequest request, Status.Code code) {
    StatusRuntimeException e = (StatusRuntimeException) org.assertj.core.api.Assertions
        .catchThrowable(() -> client.node().nodePublishVolume(request));
    assertThat(e).as("the host should refuse the call").isNotNull();
    assertThat(e.getStatus().getCode()).as("%s", e.getStatus()).isEqualTo(code);
    return e;
  }

  private void assertServing() {
    assertThat(client.identity().probe(Csi.ProbeRequest.getDefaultInstance()).getReady().getValue())
        .isTrue();
    client.node().nodePublishVolume(publish("csi-after", Map.of("backend", ChattyBackend.NAME),
        tokens(AUDIENCE, randomToken())));
  }

  private static String tokens(String audience, String token) {
    return Requests.tokensJson(Map.of(audience, token), Instant.now().plusSeconds(3600));
  }

  /** Opaque, not JWT-shaped: only the seen-token registry can mask it. */
  private static String randomToken() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return "opaque-" + HexFormat.of().formatHex(bytes);
  }

  /**
   * A plugin as a careless one would be: it echoes unknown attribute names in its error, and a
   * library it uses logs the request, token included, through java.util.logging at FINER and
   * FINEST. Records the audiences of the tokens each fetch received.
   */
  static final class ChattyBackend implements BackendFactory {
    static final String NAME = "chatty";
    static final String FINER_MARKER = "chatty library request (FINER)";
    static final String FINEST_MARKER = "chatty library request (FINEST)";
    static final String UNSEEN_JWT = JwtShaped.of("unseen");
    private static final java.util.logging.Logger LIBRARY =
        java.util.logging.Logger.getLogger("com.example.chatty.http");

    final List<Set<String>> received = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public Backend<?> create(Map<String, String> config, BackendContext context) {
      return new Backend<PreparedVolume>() {
        @Override
        public PreparedVolume prepare(Map<String, String> attributes) throws BackendException {
          for (String name : attributes.keySet()) {
            throw new BackendException(BackendException.Kind.INVALID_ARGUMENT,
                "unknown attribute \"" + name + "\"");
          }
          return () -> Set.of(AUDIENCE);
        }

        @Override
        public Material fetch(PreparedVolume volume, FetchRequest request) throws BackendException {
          received.add(Set.copyOf(request.tokens().keySet()));
          String token = request.token(AUDIENCE).token();
          LIBRARY.finer(FINER_MARKER + ": POST /login token=" + token);
          LIBRARY.finest(FINEST_MARKER + ": upstream id_token " + UNSEEN_JWT);
          return Material.of(List.of(
              MaterialFile.of("secret", "s3cret".getBytes(StandardCharsets.UTF_8))));
        }

        @Override
        public void close() {}
      };
    }
  }
}
