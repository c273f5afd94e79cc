package dev.passport.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import csi.v1.Csi;
import dev.passport.api.Pod;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TokenClaims;

class FakeKubeletTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T0 = Instant.parse("2026-11-26T14:00:00Z");

  @TempDir Path dir;

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final FakeClock clock = FakeClock.at(T0);
  private final Pod pod = Pod.of("shop", "web-0", "0b6c4c8e-8f6e-4d3c-9d55-4f0f6f1f2a10", "web");
  private RecordingCsiServer server;
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    Path socket = dir.resolve("csi.sock");
    server = new RecordingCsiServer(socket);
    kubelet = FakeKubelet.connect(socket, tokens, clock);
  }

  @AfterEach
  void stop() throws Exception {
    kubelet.close();
    server.close();
  }

  @Test
  void inlineVolumeId_isKubeletsMakeVolumeHandle() {
    assertThat(FakeKubelet.inlineVolumeId("0b6c4c8e-8f6e-4d3c-9d55-4f0f6f1f2a10", "secrets"))
        .isEqualTo("csi-a95d2c064b5c0835b579035ee17b52696a416596b841fc11c4ad0db9fea23c07");
  }

  @Test
  void identityAndNodeInfo_reachTheServer() {
    assertThat(kubelet.probe().getReady().getValue()).isTrue();
    assertThat(kubelet.pluginInfo().getName()).isEqualTo("passport.csi.dev");
    assertThat(kubelet.nodeInfo().getNodeId()).isEqualTo("node-a");
    assertThat(kubelet.nodeCapabilities().getCapabilitiesList()).hasSize(1);
  }

  @Test
  void mount_sendsKubeletsInlineVolumeRequest() throws Exception {
    PodVolume spec = volume(Map.of("backend", "vault", "path", "kv/app"), Set.of("vault"));

    MountedVolume mounted = kubelet.mount(spec);

    Csi.NodePublishVolumeRequest request = server.publishes.get(0);
    assertThat(request.getVolumeId()).isEqualTo(FakeKubelet.inlineVolumeId(pod.uid(), "secrets"))
        .isEqualTo(mounted.volumeId());
    assertThat(request.getTargetPath()).isEqualTo(spec.targetPath().toString());
    assertThat(request.getReadonly()).isTrue();
    assertThat(request.getVolumeCapability().hasMount()).isTrue();
    assertThat(request.getVolumeCapability().getAccessMode().getMode())
        .isEqualTo(Csi.VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER);
    assertThat(request.getVolumeCapability().getMount().getVolumeMountGroup()).isEmpty();
    assertThat(request.getVolumeContextMap()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "backend", "vault",
        "path", "kv/app",
        FakeKubelet.POD_NAME, "web-0",
        FakeKubelet.POD_NAMESPACE, "shop",
        FakeKubelet.POD_UID, pod.uid(),
        FakeKubelet.SERVICE_ACCOUNT_NAME, "web",
        FakeKubelet.EPHEMERAL, "true"));
    assertThat(request.getSecretsMap()).containsOnlyKeys(FakeKubelet.SERVICE_ACCOUNT_TOKENS);
    assertThat(Files.isDirectory(spec.targetPath().getParent())).isTrue();
  }

  @Test
  void mount_tokensInSecrets_carryAVerifiableTokenPerAudience() throws Exception {
    kubelet.mount(volume(Map.of("backend", "x"), Set.of("vault", "")));

    JsonNode json = JSON.readTree(
        server.publishes.get(0).getSecretsOrThrow(FakeKubelet.SERVICE_ACCOUNT_TOKENS));

    assertThat(json.size()).isEqualTo(2);
    TokenClaims claims = tokens.verify(json.at("/vault/token").asText(), "vault", T0);
    assertThat(claims.podUid()).isEqualTo(pod.uid());
    assertThat(tokens.verify(json.get("").get("token").asText(), "", T0).audiences())
        .containsExactly("");
    assertThat(json.at("/vault/expirationTimestamp").asText()).isEqualTo("2026-11-26T15:00:00Z");
  }

  @Test
  void mount_tokensInVolumeContext_leaveSecretsEmpty() throws Exception {
    kubelet.mount(volume(Map.of("backend", "x"), Set.of("vault"))
        .withPlacement(TokenPlacement.VOLUME_CONTEXT));

    Csi.NodePublishVolumeRequest request = server.publishes.get(0);
    assertThat(request.getSecretsMap()).isEmpty();
    JsonNode json = JSON.readTree(
        request.getVolumeContextOrThrow(FakeKubelet.SERVICE_ACCOUNT_TOKENS));
    assertThat(tokens.verify(json.at("/vault/token").asText(), "vault", T0).podName())
        .isEqualTo("web-0");
  }

  @Test
  void mount_noAudiences_sendsNoTokensAnywhere() {
    kubelet.mount(volume(Map.of("backend", "x"), Set.of()));

    Csi.NodePublishVolumeRequest request = server.publishes.get(0);
    assertThat(request.getSecretsMap()).isEmpty();
    assertThat(request.getVolumeContextMap()).doesNotContainKey(FakeKubelet.SERVICE_ACCOUNT_TOKENS);
  }

  @Test
  void mount_podForgingKubeletKeys_isOverriddenByKubeletsValues() {
    kubelet.mount(volume(Map.of(
        "backend", "x",
        FakeKubelet.POD_NAMESPACE, "kube-system",
        FakeKubelet.SERVICE_ACCOUNT_TOKENS, "{\"vault\":{\"token\":\"forged\"}}"), Set.of("vault")));

    Csi.NodePublishVolumeRequest request = server.publishes.get(0);
    assertThat(request.getVolumeContextMap()).containsEntry(FakeKubelet.POD_NAMESPACE, "shop");
    // with tokens in secrets a forged context value must not reach the driver beside them
    assertThat(request.getVolumeContextMap()).doesNotContainKey(FakeKubelet.SERVICE_ACCOUNT_TOKENS);
  }

  @Test
  void mount_withFsGroup_sendsItAsVolumeMountGroup() {
    kubelet.mount(volume(Map.of("backend", "x"), Set.of()).withFsGroup(2000));

    assertThat(server.publishes.get(0).getVolumeCapability().getMount().getVolumeMountGroup())
        .isEqualTo("2000");
  }

  @Test
  void republish_before80PercentOfTtl_sendsTheSameToken() {
    MountedVolume mounted = kubelet.mount(volume(Map.of("backend", "x"), Set.of("vault")));
    String first = mounted.tokens().get("vault").token();

    clock.advance(Duration.ofMinutes(47));
    kubelet.republish(mounted);

    assertThat(server.publishes).hasSize(2);
    assertThat(server.publishes.get(1)).isEqualTo(server.publishes.get(0));
    assertThat(mounted.tokens().get("vault").token()).isEqualTo(first);
  }

  @Test
  void republish_at80PercentOfTtl_rotatesTheToken() throws Exception {
    MountedVolume mounted = kubelet.mount(volume(Map.of("backend", "x"), Set.of("vault")));
    String first = mounted.tokens().get("vault").token();

    clock.advance(Duration.ofMinutes(48));
    kubelet.republish(mounted);

    String second = mounted.tokens().get("vault").token();
    assertThat(second).isNotEqualTo(first);
    assertThat(tokens.verify(second, "vault", clock.instant()).expiresAt())
        .isEqualTo(T0.plus(Duration.ofMinutes(48 + 60)));
    assertThat(server.publishes.get(1).getSecretsOrThrow(FakeKubelet.SERVICE_ACCOUNT_TOKENS))
        .contains(second).doesNotContain(first);
  }

  @Test
  void mount_secondVolumeOfThePod_reusesThePodsToken() {
    MountedVolume a = kubelet.mount(volume(Map.of("backend", "x"), Set.of("vault")));
    MountedVolume b = kubelet.mount(new PodVolume(pod, "other",
        FakeKubelet.targetPath(dir.resolve("kubelet"), pod.uid(), "other"),
        Map.of("backend", "x"), Set.of("vault"), PodVolume.DEFAULT_TOKEN_TTL,
        TokenPlacement.SECRETS, java.util.OptionalLong.empty()));

    assertThat(b.tokens().get("vault").token()).isEqualTo(a.tokens().get("vault").token());
    assertThat(b.volumeId()).isNotEqualTo(a.volumeId());
  }

  @Test
  void mount_serverRefuses_surfacesItsStatus() {
    server.failWith(Status.PERMISSION_DENIED.withDescription("role web may not read kv/app"));

    assertThatThrownBy(() -> kubelet.mount(volume(Map.of("backend", "x"), Set.of("vault"))))
        .isInstanceOfSatisfying(CsiCallException.class, e ->
            assertThat(e.code()).isEqualTo(CsiCallException.Code.PERMISSION_DENIED))
        .hasMessageContaining("role web may not read kv/app");
  }

  @Test
  void unmount_sendsTheVolumeIdAndTarget() {
    MountedVolume mounted = kubelet.mount(volume(Map.of("backend", "x"), Set.of()));

    kubelet.unmount(mounted);

    assertThat(server.unpublishes).singleElement().satisfies(request -> {
      assertThat(request.getVolumeId()).isEqualTo(mounted.volumeId());
      assertThat(request.getTargetPath()).isEqualTo(mounted.targetPath().toString());
    });
  }

  @Test
  void readAll_seesFilesThroughTheAtomicWriterSymlinks() {
    server.files(Map.of("tls.crt", "CERT", "db/password", "hunter2"));

    MountedVolume mounted = kubelet.mount(volume(Map.of("backend", "x"), Set.of()));

    assertThat(mounted.readAll()).containsExactly(
        Map.entry("db/password", "hunter2"), Map.entry("tls.crt", "CERT"));
    assertThat(mounted.read("tls.crt")).isEqualTo("CERT");
    assertThat(mounted.file("db/password").toString()).contains("..v1");
    assertThat(mounted.exists("missing")).isFalse();
    assertThatThrownBy(() -> mounted.read("missing")).hasMessageContaining("missing");
  }

  @Test
  void close_stopsTheEventLoopThread() throws Exception {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    FakeKubelet other = FakeKubelet.connect(dir.resolve("csi.sock"), tokens, clock);
    other.probe();
    Set<Thread> started = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
    started.removeAll(before);
    started.removeIf(thread -> !thread.getName().startsWith("fake-kubelet-"));

    other.close();

    assertThat(started).isNotEmpty().allMatch(Thread::isDaemon);
    for (Thread thread : started) {
      thread.join(Duration.ofSeconds(10).toMillis());
    }
    assertThat(started).noneMatch(Thread::isAlive);
  }

  private PodVolume volume(Map<String, String> attributes, Set<String> audiences) {
    return PodVolume.of(pod, "secrets", dir.resolve("kubelet"), attributes, audiences);
  }
}
