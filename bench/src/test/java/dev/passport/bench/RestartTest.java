package dev.passport.bench;

import dev.passport.testkit.FakeClock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.bench.plugin.BenchBackendFactory;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** R6 (issue 9): a host restarted with 500 published volumes loses none and calls no backend. */
class RestartTest {

  private static final int VOLUMES = 500;
  private static final Instant START = Instant.parse("2026-11-26T10:00:00Z");

  @TempDir(factory = MemoryTempDirFactory.class) Path dir;
  private final List<String> minted = new ArrayList<>();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(() -> minted);

  @Test
  void restart_500Volumes_noneLost_zeroBackendCallsWhileNothingIsDue() throws Exception {
    FakeClock clock = FakeClock.at(START);
    BenchBackendFactory backend = new BenchBackendFactory();
    String token = "r6-token-" + System.nanoTime();
    minted.add(token);
    List<String> ids = new ArrayList<>();
    String metrics;
    try (InProcessHost first = new InProcessHost(dir, backend, clock, Duration.ofMinutes(5))) {
      for (int i = 0; i < VOLUMES; i++) {
        String id = "csi-r6-" + i;
        Files.createDirectories(target(id).getParent());
        first.client.node().nodePublishVolume(request(id, token));
        ids.add(id);
      }
      metrics = first.metricsText();
    }
    assertThat(backend.calls()).isEqualTo(VOLUMES);

    clock.advance(Duration.ofMinutes(2));
    try (InProcessHost second = new InProcessHost(dir, backend, clock, Duration.ofMinutes(5))) {
      assertThat(second.host.volumes().count()).as("volumes resumed").isEqualTo(VOLUMES);
      assertThat(backend.calls()).as("backend calls at start-up").isEqualTo(VOLUMES);

      for (String id : ids) {
        second.client.node().nodePublishVolume(request(id, token));
        assertThat(VolumeContent.generation(target(id), 10, 256)).contains("1");
      }
      assertThat(backend.calls()).as("backend calls after restart").isEqualTo(VOLUMES);
      assertThat(second.host.counters().sum("cache_hit")).isEqualTo(VOLUMES);

      for (String id : ids) {
        second.client.node().nodeUnpublishVolume(Kubelet.unpublish(id, target(id)));
      }
      metrics += second.metricsText();
    }
    // the lock file (passport.lock) stays by design; volume states are the *.json files
    try (Stream<Path> state = Files.list(dir.resolve("state"))
        .filter(p -> p.getFileName().toString().endsWith(".json"))) {
      assertThat(state).isEmpty();
    }
    LogHygiene.assertNoSecrets(minted, List.of(metrics));
  }

  private Path target(String id) {
    return Kubelet.target(dir.resolve("kubelet"), id);
  }

  private csi.v1.Csi.NodePublishVolumeRequest request(String id, String token) {
    return Kubelet.benchPublish(id, target(id), Map.of(BenchBackendFactory.GENERATION, "1"), token,
        START.plus(Duration.ofHours(1)));
  }
}
