package dev.passport.plugins.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.Pod;
import dev.passport.conformance.CsiCallException;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.testkit.Pods;
import dev.passport.tools.vault.OversizedAnswer;
import dev.passport.tools.vault.OversizedAnswer.Framing;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13 through the real host and CSI socket: a Vault answering 150 MB to the login, a
 * pod-chosen {@code vaultAddress} the operator did not allow, and one it did.
 */
class VaultBoundaryThroughHostTest {

  private static final long HUGE = 150L * 1024 * 1024;
  /** The host's per-volume limit, which is the limit of every fetch's byte budget. */
  private static final long VOLUME_LIMIT = 1024 * 1024;
  /** The limit plus the socket buffers of both ends on loopback; far below {@link #HUGE}. */
  private static final long SENT_AT_MOST = 32L * 1024 * 1024;

  @TempDir Path dir;
  @RegisterExtension final VaultHost rig = new VaultHost();

  private final Pod pod = Pods.pod("shop", "web-0", "web");
  private VaultDevServer vault;
  private VaultDevServer allowed;
  private ServerSocket notAllowed;
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    vault = VaultHost.withKvSecret(rig.vault, "kv-value");
    allowed = rig.otherVault("from-the-allowed-vault");
    notAllowed = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    kubelet = rig.startHost(dir, Map.of("allowedVaultAddresses", allowed.address()), host -> host
        .limits(new MaterialLimits(100, VOLUME_LIMIT, VOLUME_LIMIT))
        .fetchTimeout(Duration.ofSeconds(20))).kubelet();
  }

  @AfterEach
  void closeTheListener() throws IOException {
    notAllowed.close();
  }

  @ParameterizedTest
  @EnumSource(Framing.class)
  void mount_loginAnswering150MB_isResourceExhaustedNamingTheLimit_andTheHostStaysUp(Framing framing)
      throws Exception {
    OversizedAnswer answer = rig.vault.answerOversized(VaultRequest.Kind.LOGIN, HUGE, framing);

    CsiCallException e = catchThrowableOfType(CsiCallException.class,
        () -> kubelet.mount(volume(attributes())));

    assertThat(e).as("the mount fails").isNotNull();
    assertThat(e.code()).isEqualTo(CsiCallException.Code.RESOURCE_EXHAUSTED);
    assertThat(e.description()).contains("login", "limit of " + VOLUME_LIMIT + " bytes");
    assertThat(answer.awaitClosedByClient(Duration.ofSeconds(30))).as(answer.toString()).isTrue();
    assertThat(answer.bytesSent()).as(answer.toString()).isLessThan(SENT_AT_MOST);
    kubelet.probe();
    // the next publish (kubelet's retry) succeeds: nothing of the refused answer stayed behind
    assertThat(kubelet.mount(volume(attributes())).read("api-key")).isEqualTo("kv-value");
  }

  @Test
  void mount_vaultAddressOutsideTheAllowList_isPermissionDeniedNamingTheKey_andNothingConnects()
      throws Exception {
    String address = "http://127.0.0.1:" + notAllowed.getLocalPort();
    Map<String, String> attributes = attributes();
    attributes.put("vaultAddress", address);

    CsiCallException e = catchThrowableOfType(CsiCallException.class,
        () -> kubelet.mount(volume(attributes)));

    assertThat(e).as("the mount fails").isNotNull();
    assertThat(e.code()).isEqualTo(CsiCallException.Code.PERMISSION_DENIED);
    assertThat(e.description()).contains("vaultAddress", address,
        "allowedVaultAddresses in vault.properties");
    assertNoConnection(notAllowed);
    assertThat(rig.vault.requests()).isEmpty();
  }

  @Test
  void mount_allowedNonDefaultVaultAddress_readsFromThatVault() {
    Map<String, String> attributes = attributes();
    attributes.put("vaultAddress", allowed.address());

    MountedVolume volume = kubelet.mount(volume(attributes));

    assertThat(volume.read("api-key")).isEqualTo("from-the-allowed-vault");
    assertThat(allowed.logins()).isEqualTo(1);
    assertThat(rig.vault.requests()).isEmpty();
  }

  /** A connection made before the refusal would already wait in the backlog: accept returns it at once. */
  private static void assertNoConnection(ServerSocket listener) throws IOException {
    listener.setSoTimeout(200);
    try {
      listener.accept().close();
      throw new AssertionError("the host connected to " + listener.getLocalSocketAddress());
    } catch (SocketTimeoutException expected) {
      // nothing connected
    }
  }

  private PodVolume volume(Map<String, String> attributes) {
    return rig.volume(pod, "secrets", attributes, Set.of("vault"));
  }

  private static Map<String, String> attributes() {
    return VaultHost.attributes(VaultHost.KV_OBJECTS);
  }
}
