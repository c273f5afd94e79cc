package dev.passport.host.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.memory.FetchBudget;
import dev.passport.host.memory.MaterialBudget;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.TestHosts;
import dev.passport.host.testing.Requests;
import dev.passport.host.testing.SizedBackend;
import dev.passport.host.volume.MaterialLimits;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory bounded by construction (issue 13), through the real socket: a small per-volume limit and
 * a budget for material in flight of four volumes at that limit, with many volumes at and past the
 * limit published at once, as a node full of pods would.
 */
class MemoryBoundEndToEndTest {

  private static final long FILE_LIMIT = 32 * 1024;
  private static final long VOLUME_LIMIT = 64 * 1024;
  private static final long BUDGET = 4 * VOLUME_LIMIT;
  private static final String TOKEN = "pod-token-" + System.nanoTime();
  private static final Set<Status.Code> KUBELET_RETRIES = Set.of(Status.Code.RESOURCE_EXHAUSTED,
      Status.Code.UNAVAILABLE, Status.Code.ABORTED, Status.Code.DEADLINE_EXCEEDED);

  @TempDir Path dir;
  private final SizedBackend backend = new SizedBackend();
  private final MaterialBudget budget = MaterialBudget.of(BUDGET);
  private Path kubelet;
  private PassportHost host;
  private CsiClient client;

  @BeforeEach
  void start() throws Exception {
    kubelet = dir.resolve("kubelet");
    host = TestHosts.builder(dir, kubelet)
        .backendFactory(backend, Map.of())
        .limits(new MaterialLimits(100, FILE_LIMIT, VOLUME_LIMIT))
        .materialBudget(budget)
        .fetchTimeout(Duration.ofSeconds(60))
        .start();
    client = new CsiClient(host.socket());
  }

  @AfterEach
  void stop() {
    backend.openGate();
    client.close();
    host.close();
  }

  @Test
  void thirtyTwoConcurrentPublishesAtTheLimit_hostStaysUp_oversizedRefused_validOnesSucceedOnRetry()
      throws Exception {
    backend.closeGate();
    List<String> valid = new ArrayList<>();
    List<String> oversized = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      (i % 4 == 3 ? oversized : valid).add("vol-" + i);
    }
    Map<String, StatusRuntimeException> answers = new ConcurrentHashMap<>();
    Set<String> sawBudgetInUse = ConcurrentHashMap.newKeySet();
    ExecutorService kubelets = Executors.newFixedThreadPool(32);
    List<CompletableFuture<Void>> runs = new ArrayList<>();
    try {
      for (String volume : valid) {
        runs.add(CompletableFuture.runAsync(() -> publishLikeKubelet(volume,
            SizedBackend.sizes(FILE_LIMIT, FILE_LIMIT), answers, sawBudgetInUse), kubelets));
      }
      for (String volume : oversized) {
        runs.add(CompletableFuture.runAsync(() -> publishLikeKubelet(volume,
            SizedBackend.sizes(FILE_LIMIT, FILE_LIMIT, 1), answers, sawBudgetInUse), kubelets));
      }

      // Four fetches at the limit hold the whole budget at the gate; every other one is refused.
      awaitUntil(() -> backend.holding() == 4 && !sawBudgetInUse.isEmpty(),
          "four fetches holding the budget and another refused");
      assertThat(budget.available()).isZero();
      for (int i = 0; i < 20; i++) {
        assertThat(client.identity().probe(Csi.ProbeRequest.getDefaultInstance()).getReady()
            .getValue()).isTrue();
      }
      backend.openGate();
      CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
    } finally {
      kubelets.shutdownNow();
    }

    for (String volume : valid) {
      assertThat(answers).as(volume).doesNotContainKey(volume);
      assertThat(Files.size(target(volume).resolve("blob-0"))).isEqualTo(FILE_LIMIT);
      assertThat(Files.size(target(volume).resolve("blob-1"))).isEqualTo(FILE_LIMIT);
    }
    for (String volume : oversized) {
      assertThat(answers.get(volume)).as(volume).isNotNull();
      assertThat(answers.get(volume).getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(answers.get(volume).getStatus().getDescription())
          .contains("limit of " + VOLUME_LIMIT + " bytes per volume").doesNotContain(TOKEN);
      assertThat(target(volume)).doesNotExist();
      assertThat(host.volumes().state(volume)).isEmpty();
    }
    assertThat(client.identity().probe(Csi.ProbeRequest.getDefaultInstance()).getReady().getValue())
        .isTrue();
    assertThat(budget.available()).isEqualTo(BUDGET);
  }

  @Test
  void backendReturningMoreThanTheVolumeLimitWithoutCharging_isResourceExhaustedNamingTheLimit() {
    assertRefused("big", SizedBackend.sizes(FILE_LIMIT, FILE_LIMIT, 1), false,
        "more than the limit of " + VOLUME_LIMIT + " bytes per volume");
  }

  @Test
  void backendReturningAFileOverTheFileLimit_isResourceExhaustedNamingTheLimit() {
    assertRefused("file", SizedBackend.sizes(FILE_LIMIT + 1), false,
        "more than the limit of " + FILE_LIMIT + " bytes per file");
  }

  @Test
  void backendReturningMoreFilesThanAllowed_isResourceExhaustedNamingTheLimit() {
    long[] ones = new long[101];
    java.util.Arrays.fill(ones, 1);
    assertRefused("many", SizedBackend.sizes(ones), false,
        "101 files, more than the limit of 100 files per volume");
  }

  @Test
  void chargingBackendPastTheVolumeLimit_isRefusedAtTheChargeThatPassesIt() {
    assertRefused("charged", SizedBackend.sizes(FILE_LIMIT, FILE_LIMIT, 1), true,
        "larger than the limit of " + VOLUME_LIMIT + " bytes per volume");
  }

  @Test
  void materialReturnedWithoutCharging_isChargedBeforeTheWrite_andRefusedWhileTheBudgetIsInUse()
      throws Exception {
    String sizes = SizedBackend.sizes(FILE_LIMIT, FILE_LIMIT);
    try (FetchBudget elsewhere = budget.open(BUDGET)) {
      // Another fetch holds all but less than a volume's worth.
      elsewhere.charge(BUDGET - VOLUME_LIMIT + 1);
      assertThatThrownBy(() -> client.node().nodePublishVolume(request("late", sizes, false)))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getStatus().getDescription())
                .contains("budget for material in flight (" + BUDGET + " bytes) is in use");
          });
      assertThat(target("late")).doesNotExist();
    }
    client.node().nodePublishVolume(request("late", sizes, false));
    assertThat(Files.size(target("late").resolve("blob-1"))).isEqualTo(FILE_LIMIT);
    assertThat(budget.available()).isEqualTo(BUDGET);
  }

  private void assertRefused(String volume, String sizes, boolean charge, String message) {
    assertThatThrownBy(() -> client.node().nodePublishVolume(request(volume, sizes, charge)))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          assertThat(e.getStatus().getDescription()).contains(message).doesNotContain(TOKEN);
        });
    assertThat(target(volume)).doesNotExist();
    assertThat(host.volumes().state(volume)).isEmpty();
    assertThat(budget.available()).isEqualTo(BUDGET);
  }

  /**
   * Publishes as kubelet does: again after every answer kubelet retries, until success or an
   * answer that names the volume's own problem. Keeps the last refusal in {@code answers}.
   */
  private void publishLikeKubelet(String volume, String sizes,
      Map<String, StatusRuntimeException> answers, Set<String> sawBudgetInUse) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
    while (System.nanoTime() < deadline) {
      try {
        client.node().nodePublishVolume(request(volume, sizes, true));
        answers.remove(volume);
        return;
      } catch (StatusRuntimeException e) {
        answers.put(volume, e);
        String description = String.valueOf(e.getStatus().getDescription());
        boolean inUse = description.contains("budget for material in flight");
        if (inUse) {
          sawBudgetInUse.add(volume);
        }
        if (!KUBELET_RETRIES.contains(e.getStatus().getCode())
            || (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED && !inUse)) {
          return;
        }
        pauseLikeKubelet();
      }
    }
  }

  /** kubelet backs off between retries; a short pause keeps 32 loops from spinning the CPU. */
  private static void pauseLikeKubelet() {
    try {
      TimeUnit.MILLISECONDS.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitUntil(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never reached: " + what);
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  private Path target(String volumeId) {
    return Requests.target(kubelet, volumeId);
  }

  private Csi.NodePublishVolumeRequest request(String volumeId, String sizes, boolean charge) {
    return Requests.publish(volumeId, target(volumeId),
            Map.of("backend", SizedBackend.NAME, "sizes", sizes, "charge", String.valueOf(charge)),
            Requests.tokensJson(Map.of(SizedBackend.AUDIENCE, TOKEN),
                Instant.now().plus(Duration.ofHours(1))))
        .build();
  }
}
