package dev.passport.host.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where the per-backend and per-remote places are taken and given back, around the executor. */
class DeadlineBackendLimitsTest {

  private static final Optional<String> TARPIT = Optional.of("http://tarpit.example:9");

  private final ThreadPoolExecutor executor = new ThreadPoolExecutor(4, 4, 1, TimeUnit.SECONDS,
      new SynchronousQueue<>());
  private final FetchLimits limits = FetchLimits.of(2, 1);
  private final StuckBackend plugin = new StuckBackend();

  @AfterEach
  void stop() {
    plugin.answer.countDown();
    executor.shutdownNow();
  }

  @Test
  void fetch_refusedByALimit_neverTakesAFetchThread() throws Exception {
    DeadlineBackend<Volume> backend = deadline(Duration.ofSeconds(30));
    Thread first = new Thread(() -> fetchQuietly(backend, new Volume(TARPIT)));
    first.start();
    assertThat(plugin.entered.await(30, TimeUnit.SECONDS)).isTrue();
    long tasksBefore = executor.getTaskCount();

    assertThatThrownBy(() -> backend.fetch(new Volume(TARPIT), TestContexts.fetchRequest()))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.UNAVAILABLE))
        .hasMessageContaining("--max-fetches-per-remote 1");

    assertThat(executor.getTaskCount()).isEqualTo(tasksBefore);
    plugin.answer.countDown();
    first.join(30_000);
  }

  @Test
  void fetch_timedOutButStillRunningInThePlugin_keepsItsPlaceUntilThePluginReturns()
      throws Exception {
    DeadlineBackend<Volume> backend = deadline(Duration.ofMillis(100));

    // On a loaded machine the fetch thread may not start within the 100 ms: the call is then
    // cancelled before the plugin saw it and its place goes back. That attempt lost the race;
    // the next one (a warmer pool) gets the plugin to hold its thread past the deadline.
    for (int attempt = 1; plugin.entered.getCount() > 0; attempt++) {
      assertThat(attempt).as("attempts until the plugin was entered before the deadline")
          .isLessThanOrEqualTo(20);
      assertThatThrownBy(() -> backend.fetch(new Volume(TARPIT), TestContexts.fetchRequest()))
          .isInstanceOfSatisfying(BackendException.class,
              e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.DEADLINE_EXCEEDED));
      awaitEnteredOrNoneRunning();
    }
    assertThat(limits.running("stuck"))
        .as("the plugin ignores interrupts and still holds its thread").isEqualTo(1);
    assertThatThrownBy(() -> backend.fetch(new Volume(TARPIT), TestContexts.fetchRequest()))
        .hasMessageContaining("--max-fetches-per-remote 1");

    plugin.answer.countDown();
    assertThat(plugin.returned.await(30, TimeUnit.SECONDS)).isTrue();
    awaitNoneRunning();
  }

  @Test
  void fetch_fetchExecutorFull_givesThePlaceBack() throws Exception {
    executor.shutdown();
    DeadlineBackend<Volume> backend = deadline(Duration.ofSeconds(30));

    assertThatThrownBy(() -> backend.fetch(new Volume(TARPIT), TestContexts.fetchRequest()))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED));

    assertThat(limits.running("stuck")).isZero();
  }

  @Test
  void fetch_volumeWhoseRemoteThrows_isInternalNamingTheBackend() {
    DeadlineBackend<Volume> backend = deadline(Duration.ofSeconds(30));

    assertThatThrownBy(() -> backend.fetch(new Volume(null), TestContexts.fetchRequest()))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.INTERNAL))
        .hasMessageContaining("backend stuck failed to name the volume's remote");
    assertThat(limits.running("stuck")).isZero();
  }

  private DeadlineBackend<Volume> deadline(Duration timeout) {
    return new DeadlineBackend<>("stuck", plugin, executor, timeout, limits);
  }

  /** Until the plugin has the fetch, or the cancelled task that never reached it gave its place back. */
  private void awaitEnteredOrNoneRunning() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!plugin.entered.await(1, TimeUnit.MILLISECONDS) && limits.running("stuck") > 0) {
      assertThat(System.nanoTime()).as("the plugin entered or the place came back in 30 s")
          .isLessThan(deadline);
    }
  }

  /** The place is given back on the fetch thread just after the plugin returns. */
  private void awaitNoneRunning() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (limits.running("stuck") > 0 && System.nanoTime() < deadline) {
      executor.awaitTermination(1, TimeUnit.MILLISECONDS);
    }
    assertThat(limits.running("stuck")).isZero();
  }

  private void fetchQuietly(DeadlineBackend<Volume> backend, Volume volume) {
    try {
      backend.fetch(volume, TestContexts.fetchRequest());
    } catch (BackendException e) {
      // the test looks at the limits, not at this answer
    }
  }

  /** remote {@code null} stands for a plugin whose remote() throws. */
  private record Volume(Optional<String> remoteOrNull) implements PreparedVolume {
    @Override
    public Set<String> audiences() {
      return Set.of();
    }

    @Override
    public Optional<String> remote() {
      if (remoteOrNull == null) {
        throw new IllegalStateException("broken plugin");
      }
      return remoteOrNull;
    }
  }

  /** A plugin that waits for its answer and, like a blocking socket read, ignores interrupts. */
  private static final class StuckBackend implements Backend<Volume> {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch answer = new CountDownLatch(1);
    final CountDownLatch returned = new CountDownLatch(1);

    @Override
    public Volume prepare(Map<String, String> attributes) {
      return new Volume(TARPIT);
    }

    @Override
    public Material fetch(Volume volume, FetchRequest request) {
      entered.countDown();
      boolean interrupted = false;
      while (true) {
        try {
          answer.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      returned.countDown();
      return Material.of(List.of());
    }

    @Override
    public void release(String volumeId) {}

    @Override
    public void close() {}
  }
}
