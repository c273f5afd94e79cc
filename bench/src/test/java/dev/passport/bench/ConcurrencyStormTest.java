package dev.passport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.bench.plugin.BenchBackendFactory;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * R5 (issue 9): {@code bench.r5.operations} randomized concurrent publish, republish and unpublish
 * calls (2,500 in CI, 50,000 with -Plong) over 100
 * volumes, through the real socket. A call that meets another one for the same volume is answered
 * ABORTED (CSI's "operation pending") and does nothing. Each volume's final state is that of its last completed
 * operation; afterwards nothing leaks: no target, no state file, no thread, no file descriptor.
 *
 * <p>Operations on one volume may overlap, and the host serialises them in some order. An
 * operation that ended before another began ran first, so the last one the host ran is among the
 * operations no other operation started after: the final state must be one of theirs (in
 * practice almost always a single candidate).
 */
class ConcurrencyStormTest {

  private static final int VOLUMES = 100;
  private static final int CLIENT_THREADS = 8;
  private static final int GENERATIONS = 4;

  @TempDir(factory = MemoryTempDirFactory.class) Path dir;
  private final List<String> minted = Collections.synchronizedList(new ArrayList<>());
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(() -> minted);

  @Test
  void storm_thousandsOfRandomCalls_finalStateIsLastCompletedOperation_andNothingLeaks() throws Exception {
    int operations = TestEnvironment.intProperty("bench.r5.operations", 2_500);
    long seed = Long.getLong("bench.seed", System.nanoTime());
    System.out.printf("R5: %d operations, seed %d%n", operations, seed);
    // A first small storm loads classes, opens jars and starts the JVM-wide pools (gRPC's shared
    // executors, Netty's globals), so that the baseline below counts only what a storm could leak.
    storm(dir.resolve("warm-up"), 200, seed);
    Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
    Set<String> fdsBefore = openFds();

    Outcome outcome = storm(dir.resolve("storm"), operations, seed + 1);

    assertThat(outcome.failures).as("failed calls").isEmpty();
    assertThat(outcome.mismatches).as("volumes whose final state is not their last operation's").isEmpty();
    assertThat(outcome.leftovers).as("targets or state files left after unpublishing all").isEmpty();
    assertThat(threadsLeaked(threadsBefore)).as("threads started by the storm still alive").isEmpty();
    Set<String> leakedFds = new HashSet<>(openFds());
    leakedFds.removeAll(fdsBefore);
    assertThat(leakedFds).as("file descriptors opened by the storm and still open").isEmpty();
    System.out.printf("R5: %d operations (%d answered ABORTED: another call for the volume was"
            + " running), %d volumes with one last operation, %d with overlapping last operations%n",
        operations, outcome.aborted.get(), outcome.singleCandidates, VOLUMES - outcome.singleCandidates);
  }

  private Outcome storm(Path root, int operations, long seed) throws Exception {
    Files.createDirectories(root);
    BenchBackendFactory backend = new BenchBackendFactory();
    String token = "r5-token-" + seed;
    minted.add(token);
    Instant expiry = Instant.now().plus(Duration.ofHours(1));
    List<List<Op>> history = new ArrayList<>();
    List<Path> targets = new ArrayList<>();
    for (int v = 0; v < VOLUMES; v++) {
      history.add(Collections.synchronizedList(new ArrayList<>()));
      Path target = Kubelet.target(root.resolve("kubelet"), "csi-r5-" + v);
      Files.createDirectories(target.getParent());
      targets.add(target);
    }
    Outcome outcome = new Outcome();
    try (InProcessHost host = new InProcessHost(root, backend, Clock.systemUTC(), Duration.ofMinutes(5))) {
      ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
      try {
        List<Future<?>> calls = new ArrayList<>();
        Random random = new Random(seed);
        for (int i = 0; i < operations; i++) {
          int volume = random.nextInt(VOLUMES);
          int kind = random.nextInt(10);
          // 0-3 publish or republish a generation, 4-6 the same generation again (a warm republish
          // when it is current), 7-9 unpublish.
          String generation = kind < 7 ? Integer.toString(1 + random.nextInt(GENERATIONS)) : null;
          calls.add(clients.submit(() -> call(host, volume, generation, targets.get(volume), token,
              expiry, history.get(volume), outcome)));
        }
        for (Future<?> call : calls) {
          call.get(120, TimeUnit.SECONDS);
        }
      } finally {
        clients.shutdown();
        assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
      }
      for (int v = 0; v < VOLUMES; v++) {
        checkFinalState("csi-r5-" + v, targets.get(v), history.get(v), host, outcome);
      }
      for (int v = 0; v < VOLUMES; v++) {
        host.client.node().nodeUnpublishVolume(Kubelet.unpublish("csi-r5-" + v, targets.get(v)));
        if (Files.exists(targets.get(v))) {
          outcome.leftovers.add(targets.get(v).toString());
        }
      }
      assertThat(host.host.volumes().count()).isZero();
      LogHygiene.assertNoSecrets(minted, List.of(host.metricsText()));
    }
    try (Stream<Path> state = Files.list(root.resolve("state"))
        .filter(p -> p.getFileName().toString().endsWith(".json"))) {
      state.forEach(p -> outcome.leftovers.add(p.toString()));
    }
    return outcome;
  }

  private void call(InProcessHost host, int volume, String generation, Path target, String token,
      Instant expiry, List<Op> history, Outcome outcome) {
    String id = "csi-r5-" + volume;
    long start = System.nanoTime();
    try {
      if (generation == null) {
        host.client.node().nodeUnpublishVolume(Kubelet.unpublish(id, target));
      } else {
        host.client.node().nodePublishVolume(Kubelet.benchPublish(id, target,
            Map.of(BenchBackendFactory.GENERATION, generation), token, expiry));
      }
      history.add(new Op(generation, start, System.nanoTime()));
    } catch (StatusRuntimeException e) {
      LogHygiene.assertNoSecrets(minted, e);
      if (e.getStatus().getCode() == Status.Code.ABORTED) {
        // CSI's answer while another call for the volume runs: this one did nothing, kubelet retries.
        outcome.aborted.incrementAndGet();
        return;
      }
      outcome.failures.add(id + " " + (generation == null ? "unpublish" : "publish " + generation)
          + ": " + e.getStatus());
    }
  }

  private static void checkFinalState(String id, Path target, List<Op> ops, InProcessHost host,
      Outcome outcome) throws IOException {
    if (ops.isEmpty()) {
      return;
    }
    long lastStart = ops.stream().mapToLong(Op::start).max().orElseThrow();
    // Candidates: operations that no other operation started after the end of.
    List<Op> candidates = ops.stream().filter(op -> op.end >= lastStart).toList();
    if (candidates.size() == 1) {
      outcome.singleCandidates++;
    }
    Optional<String> seen = VolumeContent.generation(target, 10, 256);
    boolean managed = host.host.volumes().state(id).isPresent();
    boolean matches = candidates.stream().anyMatch(op -> op.generation == null
        ? seen.isEmpty() && !managed && !Files.exists(target)
        : seen.equals(Optional.of(op.generation)) && managed);
    if (!matches) {
      outcome.mismatches.put(id, "holds " + seen.orElse("nothing") + " (managed: " + managed
          + "), last operations " + candidates);
    }
  }

  /** Threads that appeared since {@code before} and do not end within 10 s each. */
  private static List<String> threadsLeaked(Set<Thread> before) throws InterruptedException {
    List<String> leaked = new ArrayList<>();
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (before.contains(thread) || thread.getName().startsWith("ForkJoinPool.commonPool")) {
        continue; // the common pool is the JVM's, shared by Caffeine and the JDK; it idles out alone
      }
      thread.join(10_000);
      if (thread.isAlive()) {
        leaked.add(thread.getName());
      }
    }
    return leaked;
  }

  /**
   * What this JVM's descriptors point at, jars excepted: class loaders keep a jar open for the
   * JVM's life once they load a class from it, which is not a leak of the host.
   */
  private static Set<String> openFds() throws IOException {
    Set<String> fds = new HashSet<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : entries.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (!target.endsWith(".jar")) {
            fds.add(fd.getFileName() + " -> " + target);
          }
        } catch (IOException e) {
          // the descriptor of the listing itself, closed by now
        }
      }
    }
    return fds;
  }

  private record Op(String generation, long start, long end) {
    @Override
    public String toString() {
      return generation == null ? "unpublish" : "publish " + generation;
    }
  }

  private static final class Outcome {
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    final Map<String, String> mismatches = new TreeMap<>();
    final List<String> leftovers = new ArrayList<>();
    final AtomicInteger aborted = new AtomicInteger();
    int singleCandidates;
  }
}
