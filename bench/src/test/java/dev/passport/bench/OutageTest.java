package dev.passport.bench;

import dev.passport.testkit.FakeClock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.BackendException;
import dev.passport.bench.plugin.BenchBackendFactory;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * R2 (issue 9): the backend is down for a simulated hour. No volume loses content, every republish
 * answers UNAVAILABLE, retries keep the host's backoff (5 s doubling to 5 min, ±20 %), and the
 * first republish after the backoff window once the backend is back brings the new content.
 */
class OutageTest {

  private static final int PODS = 20;
  private static final Instant START = Instant.parse("2026-11-26T10:00:00Z");
  private static final Duration CADENCE = Duration.ofSeconds(75);
  private static final Duration TOKEN_TTL = Duration.ofHours(1);

  @TempDir(factory = MemoryTempDirFactory.class) Path dir;
  private final List<String> minted = new ArrayList<>();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(() -> minted);

  @Test
  void backendDownForAnHour_keepsContent_answersUnavailable_backsOff_andRecovers() throws Exception {
    FakeClock clock = FakeClock.at(START);
    BenchBackendFactory backend = new BenchBackendFactory();
    try (InProcessHost host = new InProcessHost(dir, backend, clock, Duration.ofMinutes(5))) {
      List<Pod> pods = new ArrayList<>();
      for (int i = 0; i < PODS; i++) {
        Pod pod = new Pod("csi-r2-" + i, Kubelet.target(dir.resolve("kubelet"), "csi-r2-" + i), clock);
        Files.createDirectories(pod.target.getParent());
        host.client.node().nodePublishVolume(pod.request());
        pods.add(pod);
      }
      clock.advance(Duration.ofMinutes(6)); // every volume is due
      backend.fail(BackendException.Kind.UNAVAILABLE);
      Instant outageStart = clock.instant();
      Instant outageEnd = outageStart.plus(Duration.ofHours(1));
      List<Throwable> answers = new ArrayList<>();
      while (clock.instant().isBefore(outageEnd)) {
        for (Pod pod : pods) {
          StatusRuntimeException failure = republishFailing(host, pod);
          answers.add(failure);
          assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(failure.getStatus().getDescription()).contains("keeps its current content");
          assertThat(VolumeContent.generation(pod.target, 10, 256)).contains("1");
        }
        clock.advance(CADENCE);
      }

      for (Pod pod : pods) {
        List<Instant> attempts = backend.callTimes(pod.volumeId).stream()
            .filter(t -> !t.isBefore(outageStart)).toList();
        // The n-th retry waits at least 80 % of min(5 s × 2^(n-1), 5 min) after the previous one.
        for (int n = 1; n < attempts.size(); n++) {
          Duration gap = Duration.between(attempts.get(n - 1), attempts.get(n));
          long backoffMillis = Math.min(5_000L << Math.min(n - 1, 16), 300_000L);
          assertThat(gap.toMillis()).as(pod.volumeId + " retry " + n).isGreaterThanOrEqualTo(
              (long) (backoffMillis * 0.8));
        }
        // 48 republishes in the hour; the backoff lets at most ~17 of them reach the backend.
        assertThat(attempts.size()).as(pod.volumeId + " attempts").isBetween(8, 20);
      }
      System.out.printf("R2: %d pods, 1 h outage: %d backend attempts for %d republishes%n", PODS,
          backend.calls() - PODS, answers.size());

      backend.fail(null);
      backend.serveGeneration("2");
      clock.advance(Duration.ofMinutes(6)); // past the longest backoff window (5 min + 20 %)
      for (Pod pod : pods) {
        host.client.node().nodePublishVolume(pod.request());
        assertThat(VolumeContent.generation(pod.target, 10, 256)).contains("2");
        assertThat(host.host.volumes().state(pod.volumeId).orElseThrow().failures()).isZero();
      }
      for (Throwable answer : answers) {
        LogHygiene.assertNoSecrets(minted, answer);
      }
      LogHygiene.assertNoSecrets(minted, List.of(host.metricsText()));
    }
  }

  private static StatusRuntimeException republishFailing(InProcessHost host, Pod pod) {
    try {
      host.client.node().nodePublishVolume(pod.request());
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("republish of " + pod.volumeId + " succeeded during the outage");
  }

  /** kubelet's view of a pod: a token that rotates at 80 % of its hour. */
  private final class Pod {
    final String volumeId;
    final Path target;
    final FakeClock clock;
    Instant issuedAt;
    String token;

    Pod(String volumeId, Path target, FakeClock clock) {
      this.volumeId = volumeId;
      this.target = target;
      this.clock = clock;
      rotate();
    }

    csi.v1.Csi.NodePublishVolumeRequest request() {
      if (!clock.instant().isBefore(issuedAt.plus(TOKEN_TTL.multipliedBy(8).dividedBy(10)))) {
        rotate();
      }
      return Kubelet.benchPublish(volumeId, target, Map.of(BenchBackendFactory.GENERATION, "1"), token,
          issuedAt.plus(TOKEN_TTL));
    }

    private void rotate() {
      issuedAt = clock.instant();
      token = "r2-token-" + volumeId + "-" + System.nanoTime();
      minted.add(token);
    }
  }
}
