package dev.passport.plugins.certmanager;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.ServiceAccountTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The plugin's host tests' one set-up: the fake cert-manager, the real host with the certmanager
 * backend serving on its CSI socket under {@code dir}, and a fake kubelet connected to it, all on
 * one fake clock. Closes in reverse order.
 */
final class CertManagerOnHost implements AutoCloseable {

  final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  final FakeClock clock = FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  final FakeCertManager certManager;
  final PassportHost host;
  final FakeKubelet kubelet;
  private final Path kubeletDir;

  /** The host with its default material limits. */
  static CertManagerOnHost start(Path dir) throws Exception {
    return new CertManagerOnHost(dir, null);
  }

  /** The host with {@code limits} on what a volume may hold. */
  static CertManagerOnHost start(Path dir, MaterialLimits limits) throws Exception {
    return new CertManagerOnHost(dir, limits);
  }

  private CertManagerOnHost(Path dir, MaterialLimits limits) throws Exception {
    kubeletDir = Files.createDirectories(dir.resolve("kubelet"));
    FakeCertManager startedCertManager = new FakeCertManager(clock);
    PassportHost startedHost = null;
    try {
      PassportHost.Builder builder = PassportHost.builder()
          .socket(dir.resolve("csi.sock"))
          .stateDir(dir.resolve("state"))
          .mountMode(MountMode.DIRECTORY)
          .kubeletDir(kubeletDir)
          .backendFactory(new CertManagerBackendFactory(),
              Map.of("apiServer", startedCertManager.url(), "timeout", "20s"))
          .clock(clock)
          .fetchTimeout(Duration.ofSeconds(30))
          .nodeId("node-1");
      if (limits != null) {
        builder.limits(limits);
      }
      startedHost = builder.start();
      kubelet = FakeKubelet.connect(startedHost.socket(), tokens, clock);
    } catch (Exception | Error e) {
      // A half-started fixture has no close() call coming: free what did start.
      if (startedHost != null) {
        startedHost.close();
      }
      startedCertManager.close();
      throw e;
    }
    certManager = startedCertManager;
    host = startedHost;
  }

  /**
   * {@code pod}'s certmanager volume {@code name} with {@code attributes} (csi-driver's, without
   * {@code backend}).
   */
  PodVolume volume(Pod pod, String name, Map<String, String> attributes) {
    Map<String, String> context = new HashMap<>(attributes);
    context.put("backend", CertManagerBackendFactory.NAME);
    return PodVolume.of(pod, name, kubeletDir, context, Set.of(CertManagerBackend.AUDIENCE));
  }

  @Override
  public void close() {
    try {
      kubelet.close();
      host.close();
    } finally {
      certManager.close();
    }
  }
}
