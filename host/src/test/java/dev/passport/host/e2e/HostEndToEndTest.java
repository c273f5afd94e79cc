package dev.passport.host.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.ListenableFuture;
import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.e2e.fixture.ScriptedBackendFactory;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.PluginDirectoryBuilder;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.MountMode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real host on a real Unix socket, with the scripted test plugin loaded from a real plugin
 * directory (its own class loader), driven by a plain gRPC client as kubelet would.
 */
class HostEndToEndTest {

  private static final Instant START = Instant.parse("2026-11-26T10:00:00Z");
  private static final String TOKEN = "pod-token-" + System.nanoTime();

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(START);
  private Path control;
  private Path kubelet;
  private PassportHost host;
  private CsiClient client;

  @BeforeEach
  void start() throws Exception {
    control = Files.createDirectories(dir.resolve("control"));
    kubelet = Files.createDirectories(dir.resolve("kubelet"));
    Path pluginsDir = dir.resolve("plugins");
    PluginDirectoryBuilder.plugin(pluginsDir, "scripted")
        .classes(ScriptedBackendFactory.class)
        .factory(ScriptedBackendFactory.class)
        .build();
    Path configDir = Files.createDirectories(dir.resolve("conf"));
    Files.writeString(configDir.resolve("scripted.properties"), "controlDir=${ENV:CONTROL_DIR}\n");
    content("username=alice\npassword=s3cret\n");
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .nodeId("node-1")
        .pluginsDir(pluginsDir)
        .configDir(configDir)
        .environment(Map.of("CONTROL_DIR", control.toString()))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(kubelet)
        .clock(clock)
        .fetchTimeout(Duration.ofSeconds(20))
        .start();
    client = new CsiClient(host.socket());
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    host.close();
  }

  @Test
  void identity_answersInfoCapabilitiesProbeAndNodeInfo() {
    Csi.GetPluginInfoResponse info = client.identity().getPluginInfo(Csi.GetPluginInfoRequest.getDefaultInstance());
    assertThat(info.getName()).isEqualTo("passport.csi.dev");
    assertThat(info.getVendorVersion()).isNotEmpty();
    assertThat(client.identity().probe(Csi.ProbeRequest.getDefaultInstance()).getReady().getValue()).isTrue();
    assertThat(client.identity().getPluginCapabilities(Csi.GetPluginCapabilitiesRequest.getDefaultInstance())
        .getCapabilitiesList()).isEmpty();
    assertThat(client.node().nodeGetInfo(Csi.NodeGetInfoRequest.getDefaultInstance()).getNodeId())
        .isEqualTo("node-1");
    assertThat(client.node().nodeGetCapabilities(Csi.NodeGetCapabilitiesRequest.getDefaultInstance())
        .getCapabilitiesList())
        .extracting(c -> c.getRpc().getType())
        .containsExactly(Csi.NodeServiceCapability.RPC.Type.VOLUME_MOUNT_GROUP);
    assertThat(client.controller().controllerGetCapabilities(
        Csi.ControllerGetCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList()).isEmpty();
  }

  @Test
  void publish_writesFilesThroughDataLink_republishMakesNoBackendCall_unpublishRemovesAll()
      throws Exception {
    Path target = target("vol-1");
    client.node().nodePublishVolume(request("vol-1", target).build());

    assertThat(Files.readString(target.resolve("password"))).isEqualTo("s3cret");
    assertThat(Files.isSymbolicLink(target.resolve("password"))).isTrue();
    assertThat(Files.isSymbolicLink(target.resolve("..data"))).isTrue();
    // 3 × 40 s: the last republish plus the next republish gap (--republish-period, 90 s) stays
    // before the earliest refresh (the 5 min default minus its 10 % jitter, 270 s).
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(40));
      client.node().nodePublishVolume(request("vol-1", target).build());
    }
    assertThat(calls()).hasSize(1);

    unpublish("vol-1", target);
    assertThat(target).doesNotExist();
    assertThat(Files.readString(control.resolve("released"))).isEqualTo("vol-1\n");
    unpublish("vol-1", target);
  }

  @Test
  void publish_missingRequiredFields_failsInCsiSanityOrder() {
    assertCode(Csi.NodePublishVolumeRequest.getDefaultInstance(), Status.Code.INVALID_ARGUMENT, "volume_id");
    assertCode(Csi.NodePublishVolumeRequest.newBuilder().setVolumeId("v").build(),
        Status.Code.INVALID_ARGUMENT, "target_path");
    assertCode(Csi.NodePublishVolumeRequest.newBuilder().setVolumeId("v")
        .setTargetPath(target("v").toString()).build(),
        Status.Code.INVALID_ARGUMENT, "volume_capability");
  }

  @Test
  void publish_badVolumes_areRefusedWithActionableMessages_andLeaveNothingBehind() {
    Path target = target("bad");
    assertCode(request("bad", target).putVolumeContext("backend", "nope").build(),
        Status.Code.INVALID_ARGUMENT, "unknown backend \"nope\"");
    assertCode(request("bad", target).removeVolumeContext("backend").build(),
        Status.Code.INVALID_ARGUMENT, "\"backend\" is required");
    assertCode(request("bad", target).removeVolumeContext("csi.storage.k8s.io/pod.uid").build(),
        Status.Code.INVALID_ARGUMENT, "podInfoOnMount");
    assertCode(request("bad", target).putVolumeContext("audience", "bad").build(),
        Status.Code.INVALID_ARGUMENT, "must not be \"bad\"");
    assertCode(request("bad", target).putVolumeContext("audience", "vault").build(),
        Status.Code.UNAUTHENTICATED, "audience \"vault\"");
    assertCode(request("bad", target).putSecrets("csi.storage.k8s.io/serviceAccount.tokens", "{not json").build(),
        Status.Code.INVALID_ARGUMENT, "not valid JSON");
    assertCode(request("bad", target).setVolumeCapability(Csi.VolumeCapability.newBuilder()
            .setBlock(Csi.VolumeCapability.BlockVolume.getDefaultInstance())).build(),
        Status.Code.INVALID_ARGUMENT, "block");
    assertThat(target).doesNotExist();
    assertThat(calls()).isEmpty();
  }

  @Test
  void publish_tokenMissingForAudience_namesTheTokenRequestsFix() {
    assertCode(Requests.publish("v", target("v"), Map.of("backend", "scripted"), null).build(),
        Status.Code.UNAUTHENTICATED, "spec.tokenRequests of CSIDriver passport.csi.dev");
  }

  @Test
  void publish_tokensInVolumeContext_areUsedWhenSecretsHaveNone() throws IOException {
    Path target = target("ctx");
    client.node().nodePublishVolume(Requests.publish("ctx", target, Map.of("backend", "scripted"), null)
        .putVolumeContext("csi.storage.k8s.io/serviceAccount.tokens", tokens()).build());
    assertThat(Files.readString(target.resolve("username"))).isEqualTo("alice");
  }

  @Test
  void firstPublish_backendFails_answersItsCodeAndLeavesNothingBehind() throws IOException {
    Path target = target("f");
    Files.writeString(control.resolve("fail"), "PERMISSION_DENIED");
    assertCode(request("f", target).build(), Status.Code.PERMISSION_DENIED, "scripted failure");
    Files.writeString(control.resolve("fail"), "UNAVAILABLE");
    assertCode(request("f", target).build(), Status.Code.UNAVAILABLE, "scripted failure");
    assertThat(target).doesNotExist();
    assertThat(host.volumes().state("f")).isEmpty();
  }

  @Test
  void republish_backendFailsWhenDue_answersUnavailableAndKeepsContent() throws IOException {
    Path target = target("r");
    client.node().nodePublishVolume(request("r", target).build());
    Files.writeString(control.resolve("fail"), "PERMISSION_DENIED");
    clock.advance(Duration.ofMinutes(10));

    assertCode(request("r", target).build(), Status.Code.UNAVAILABLE, "keeps its current content");
    assertThat(Files.readString(target.resolve("password"))).isEqualTo("s3cret");
  }

  @Test
  void republish_contentChangedWhenDue_swapsItAtomically() throws IOException {
    Path target = target("c");
    client.node().nodePublishVolume(request("c", target).build());
    content("password=rotated\n");
    clock.advance(Duration.ofMinutes(10));
    client.node().nodePublishVolume(request("c", target).build());

    assertThat(Files.readString(target.resolve("password"))).isEqualTo("rotated");
    assertThat(target.resolve("username")).doesNotExist();
    assertThat(calls()).hasSize(2);
  }

  @Test
  void concurrentCallForSameVolume_isAborted() throws Exception {
    Path target = target("a");
    Files.writeString(control.resolve("hold"), "");
    ListenableFuture<Csi.NodePublishVolumeResponse> first =
        client.nodeAsync().nodePublishVolume(request("a", target).build());
    awaitFirstCall();

    assertCode(request("a", target).build(), Status.Code.ABORTED, "already in progress");
    Files.delete(control.resolve("hold"));
    first.get(30, TimeUnit.SECONDS);
    assertThat(Files.readString(target.resolve("username"))).isEqualTo("alice");
  }

  @Test
  void tokens_neverAppearInLogs_evenAtDebug() {
    LogCapture logs = new LogCapture();
    logs.start();
    try {
      Path target = target("t");
      client.node().nodePublishVolume(request("t", target)
          .putVolumeContext("csi.storage.k8s.io/serviceAccount.tokens", tokens()).build());
      assertCode(request("t2", target("t2")).putVolumeContext("backend", "nope").build(),
          Status.Code.INVALID_ARGUMENT, "nope");
    } finally {
      logs.stop();
    }
    assertThat(logs.lines()).isNotEmpty().noneMatch(line -> line.contains(TOKEN));
    assertThat(logs.lines()).anyMatch(line -> line.contains("NodePublishVolume request"));
  }

  @Test
  void unpublish_unknownVolume_isOk() {
    unpublish("never-published", target("never"));
  }

  /** kubelet's target for the volume {@code request} sends as {@code volumeId}. */
  private Path target(String volumeId) {
    return Requests.target(kubelet, volumeId);
  }

  private Csi.NodePublishVolumeRequest.Builder request(String volumeId, Path target) {
    return Requests.publish(volumeId, target, Map.of("backend", "scripted"), tokens());
  }

  private static String tokens() {
    return Requests.tokensJson(Map.of("scripted", TOKEN), START.plus(Duration.ofHours(1)));
  }

  private void unpublish(String volumeId, Path target) {
    client.node().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId(volumeId).setTargetPath(target.toString()).build());
  }

  private void assertCode(Csi.NodePublishVolumeRequest request, Status.Code code, String message) {
    assertThatThrownBy(() -> client.node().nodePublishVolume(request))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).contains(message).doesNotContain(TOKEN);
        });
  }

  private void content(String lines) throws IOException {
    Files.writeString(control.resolve("content"), lines);
  }

  private List<String> calls() {
    try {
      Path calls = control.resolve("calls");
      return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The backend appends to "calls" before it waits on "hold"; wait for that line, bounded. */
  private void awaitFirstCall() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (calls().isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the backend was never called");
      }
      Thread.sleep(5);
    }
  }
}
