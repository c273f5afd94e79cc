package dev.passport.host.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.host.cache.StateStore;
import dev.passport.host.memory.FetchBudget;
import dev.passport.host.metrics.HostMetrics;
import dev.passport.host.memory.MaterialBudget;
import dev.passport.host.plugins.BackendRegistry;
import dev.passport.host.publish.PublishException.Code;
import dev.passport.host.publish.VolumeReconciler.Outcome;
import dev.passport.host.testing.Requests;
import dev.passport.host.testing.SizedBackend;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.host.volume.MountMode;
import dev.passport.host.volume.Mounter;
import dev.passport.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a publish can end gives back all it took from the host's budget for material in
 * flight (issue 13): the budget is whole after each one.
 */
class MaterialBudgetReleaseTest {

  private static final Instant START = Instant.parse("2026-11-26T10:00:00Z");
  private static final long VOLUME_LIMIT = 64 * 1024;
  private static final long FILE = VOLUME_LIMIT / 2;
  private static final long BUDGET = 2 * VOLUME_LIMIT;
  private static final String AT_THE_LIMIT = SizedBackend.sizes(FILE, FILE);

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(START);
  private final SizedBackend backend = new SizedBackend();
  private final MaterialBudget budget = MaterialBudget.of(BUDGET);
  private final MaterialLimits limits = new MaterialLimits(100, FILE, VOLUME_LIMIT);
  private BackendRegistry registry;
  private Publisher publisher;

  @BeforeEach
  void start() throws Exception {
    registry = BackendRegistry.builder().factory(backend, Map.of()).limits(limits)
        .fetchTimeout(Duration.ofSeconds(30)).build();
    publisher = publisher();
  }

  @AfterEach
  void stop() {
    backend.openGate();
    registry.close();
  }

  @Test
  void publish_succeeds_budgetIsWholeAfterwards() throws Exception {
    assertThat(publisher.publish(request("ok", AT_THE_LIMIT, true)))
        .isEqualTo(Outcome.FETCHED_AND_WRITTEN);
    assertThat(budget.available()).isEqualTo(BUDGET);
  }

  @Test
  void publish_backendFailsAfterCharging_budgetIsWholeAfterwards() {
    assertThatThrownBy(() -> publisher.publish(request("bad", AT_THE_LIMIT, true, true)))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE));
    assertThat(budget.available()).isEqualTo(BUDGET);
  }

  @Test
  void publish_overTheLimitCharged_orUncharged_budgetIsWholeAfterwards() {
    for (boolean charge : new boolean[] {true, false}) {
      assertThatThrownBy(() -> publisher.publish(
          request("big-" + charge, SizedBackend.sizes(FILE, FILE, 1), charge)))
          .isInstanceOfSatisfying(PublishException.class,
              e -> assertThat(e.code()).isEqualTo(Code.RESOURCE_EXHAUSTED));
      assertThat(budget.available()).isEqualTo(BUDGET);
    }
  }

  @Test
  void publish_writeFails_budgetIsWholeAfterwards() throws Exception {
    // A regular file where the writer must put its link: the write refuses to replace it.
    Files.createDirectories(target("blocked"));
    Files.writeString(target("blocked").resolve("blob-0"), "not Passport's");

    assertThatThrownBy(() -> publisher.publish(request("blocked", AT_THE_LIMIT, true)))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.getMessage()).contains("in the way"));
    assertThat(budget.available()).isEqualTo(BUDGET);
  }

  @Test
  void publish_fetchGivenUpAtItsDeadline_budgetIsWholeWhileTheBackendStillHoldsOn()
      throws Exception {
    registry.close();
    registry = BackendRegistry.builder().factory(backend, Map.of()).limits(limits)
        .fetchTimeout(Duration.ofMillis(200)).build();
    publisher = publisher();
    backend.closeGate();

    assertThatThrownBy(() -> publisher.publish(request("slow", AT_THE_LIMIT, true)))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(Code.DEADLINE_EXCEEDED));
    assertThat(budget.available()).isEqualTo(BUDGET);
  }

  @Test
  void refreshAfterRestart_readsTheOldContentBackOnTheBudget_andGivesItBack() throws Exception {
    publisher.publish(request("r", AT_THE_LIMIT, true));
    publisher = publisher(); // a restarted host: state on disk, nothing cached
    clock.advance(Duration.ofMinutes(10));

    try (FetchBudget elsewhere = budget.open(BUDGET)) {
      elsewhere.charge(BUDGET - VOLUME_LIMIT + 1);
      assertThatThrownBy(() -> publisher.publish(request("r", AT_THE_LIMIT, true)))
          .isInstanceOfSatisfying(PublishException.class, e -> {
            assertThat(e.code()).isEqualTo(Code.UNAVAILABLE);
            assertThat(e.getMessage()).contains("keeps its current content")
                .contains("budget for material in flight (" + BUDGET + " bytes) is in use");
          });
    }
    assertThat(budget.available()).isEqualTo(BUDGET);
    assertThat(Files.size(target("r").resolve("blob-0"))).isEqualTo(FILE);

    clock.advance(Duration.ofMinutes(10)); // past the backoff
    assertThat(publisher.publish(request("r", AT_THE_LIMIT, true)))
        .isEqualTo(Outcome.FETCHED_UNCHANGED);
    assertThat(budget.available()).isEqualTo(BUDGET);
  }

  private Publisher publisher() throws Exception {
    VolumeReconciler reconciler = VolumeReconciler.builder()
        .clock(clock)
        .mounter(Mounter.forMode(MountMode.DIRECTORY))
        .store(new StateStore(dir.resolve("state")))
        .limits(limits)
        .materialBudget(budget)
        .refreshInterval(Duration.ofMinutes(5))
        .random(() -> 0.5)
        .build();
    return new Publisher(registry, reconciler, "passport.csi.dev", HostMetrics.none(),
        new KubeletTargets(dir));
  }

  private Path target(String volumeId) {
    return Requests.target(dir, volumeId);
  }

  private PublishRequest request(String volumeId, String sizes, boolean charge) {
    return request(volumeId, sizes, charge, false);
  }

  private PublishRequest request(String volumeId, String sizes, boolean charge, boolean fail) {
    Map<String, String> context = new java.util.HashMap<>(Requests.publish(volumeId,
        target(volumeId), Map.of("backend", SizedBackend.NAME, "sizes", sizes,
            "charge", String.valueOf(charge), "fail", String.valueOf(fail)), null)
        .build().getVolumeContextMap());
    context.put("csi.storage.k8s.io/serviceAccount.tokens", Requests.tokensJson(
        Map.of(SizedBackend.AUDIENCE, "eyJ.pod-token"), START.plus(Duration.ofHours(1))));
    return new PublishRequest(volumeId, target(volumeId).toString(),
        new PublishRequest.Capability(false, ""), true, context, Map.of());
  }
}
