package dev.passport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.bench.plugin.BenchBackendFactory;
import dev.passport.testkit.LogHygiene;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R1 (issue 9): the real host process is killed with SIGKILL at random points while it publishes
 * and republishes, and restarted on the same state dir. After each kill every target holds one
 * complete set of files (the last acknowledged one, or one whose publish was in flight), never a
 * mix and never nothing once published; afterwards unpublish still removes everything.
 *
 * <p>Issue 14's writer (directory descriptors, debris removed by exact name): after every kill a
 * target holds only names that writer makes ({@code ..data}, {@code ..data_tmp}, its timestamped
 * directories, {@code name -> ..data/name} links), and the first complete publish after the kills
 * removes every leftover of the cut-short writes.
 *
 * <p>{@code bench.r1.kills} kills (10 in CI, 200 with -Plong); the seed is printed for replays.
 */
class CrashConsistencyTest {

  private static final int VOLUMES = 8;
  private static final int WORKERS = 2;
  private static final int FILES = 6;
  private static final int FILE_SIZE = 300;
  /** The writer's timestamped data directories (AtomicWriter.DATA_DIR). */
  private static final java.util.regex.Pattern DATA_DIR =
      java.util.regex.Pattern.compile("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d+");

  @TempDir Path dir;
  private final List<String> minted = new ArrayList<>();
  private HostProcess.Launcher launcher;
  /** Set just before each SIGKILL, cleared when the next host is up: which failures the kill may cause. */
  private volatile boolean killIssued;
  private final java.util.concurrent.atomic.AtomicReference<String> unexpected =
      new java.util.concurrent.atomic.AtomicReference<>();

  @Test
  void sigkillDuringPublishAndRepublish_leavesEveryTargetWhole_andUnpublishCleansUp() throws Exception {
    int kills = TestEnvironment.intProperty("bench.r1.kills", 10);
    long seed = Long.getLong("bench.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.printf("R1: %d kills, seed %d (replay with -Dbench.seed=%d)%n", kills, seed, seed);
    Path pluginsDir = Files.createDirectories(dir.resolve("plugins"));
    PluginDirectories.writeBenchPlugin(pluginsDir);
    List<Volume> volumes = new ArrayList<>();
    for (int i = 0; i < VOLUMES; i++) {
      Volume volume = new Volume("csi-r1-" + i,
          Kubelet.target(dir.resolve("kubelet"), "csi-r1-" + i));
      Files.createDirectories(volume.target.getParent());
      volumes.add(volume);
    }
    AtomicInteger generations = new AtomicInteger();
    int killedMidCall = 0;
    launcher = withAppCds(pluginsDir);

    for (int round = 0; round < kills; round++) {
      try (Host host = new Host(pluginsDir)) {
        checkAll(volumes, "after restart " + round);
        killIssued = false;
        AtomicBoolean stop = new AtomicBoolean();
        // The kill point: after a random number of acknowledged calls (0 = during the first ones),
        // plus a random 0-30 ms, so kills land in every stage of a publish, not only right after one.
        int killAfterAcks = random.nextInt(40);
        int killDelayMillis = random.nextInt(30);
        AtomicInteger acks = new AtomicInteger();
        CountDownLatch killPoint = new CountDownLatch(killAfterAcks == 0 ? 0 : 1);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
          List<Volume> owned = new ArrayList<>();
          for (int v = w; v < VOLUMES; v += WORKERS) {
            owned.add(volumes.get(v));
          }
          long workerSeed = random.nextLong();
          Thread worker = new Thread(() -> work(host, owned, generations, stop, workerSeed, () -> {
            if (acks.incrementAndGet() >= killAfterAcks || unexpected.get() != null) {
              killPoint.countDown();
            }
          }), "r1-worker-" + w);
          worker.start();
          workers.add(worker);
        }
        assertThat(killPoint.await(60, TimeUnit.SECONDS)).as("workers made progress").isTrue();
        new CountDownLatch(1).await(killDelayMillis, TimeUnit.MILLISECONDS);
        killIssued = true;
        host.process.kill();
        for (Thread worker : workers) {
          worker.join(TimeUnit.SECONDS.toMillis(30));
          assertThat(worker.isAlive()).as(worker.getName() + " ended").isFalse();
        }
        stop.set(true);
        assertThat(unexpected.get()).as("a call failed other than by the kill").isNull();
        killedMidCall += (int) volumes.stream().filter(v -> !v.inFlight.isEmpty()).count();
        checkAll(volumes, "after kill " + round);
      }
    }

    String scrape;
    // A last run without a kill: everything republishes, then unpublish removes every trace.
    try (Host host = new Host(pluginsDir)) {
      checkAll(volumes, "after the last restart");
      for (Volume volume : volumes) {
        String generation = "final-" + volume.id;
        host.client.node().nodePublishVolume(volume.request(host.token, generation));
        assertThat(VolumeContent.generation(volume.target, FILES, FILE_SIZE)).contains(generation);
        assertNoDebris(volume.target);
        host.client.node().nodeUnpublishVolume(Kubelet.unpublish(volume.id, volume.target));
        assertThat(volume.target).doesNotExist();
      }
      // the lock file (passport.lock) stays by design; volume states are the *.json files
      try (Stream<Path> state = Files.list(dir.resolve("state"))
          .filter(p -> p.getFileName().toString().endsWith(".json"))) {
        assertThat(state).as("state files left after unpublishing every volume").isEmpty();
      }
      scrape = HostProcess.scrapeMetrics(host.metricsPort);
      host.process.stop();
    }
    long everPublished = volumes.stream().filter(v -> v.acknowledged != null).count();
    System.out.printf("R1: %d kills, %d volumes published, %d generations requested, %d calls cut by a kill%n",
        kills, everPublished, generations.get(), killedMidCall);
    assertThat(scrape).contains("passport_");
    LogHygiene.assertNoSecrets(minted, TestEnvironment.lines(dir.resolve("host.log")), List.of(scrape));
  }

  /**
   * The launcher with an AppCDS archive of the host, dumped by one clean run first: restarts take
   * half the time, so CI affords its 20 kills.
   */
  private HostProcess.Launcher withAppCds(Path pluginsDir) throws Exception {
    Path archive = dir.resolve("passport.jsa");
    launcher = TestEnvironment.hostLauncher().withJvmOptions(List.of("-XX:ArchiveClassesAtExit=" + archive));
    try (Host host = new Host(pluginsDir)) {
      Volume volume = new Volume("csi-r1-cds", Kubelet.target(dir.resolve("kubelet"), "csi-r1-cds"));
      host.client.node().nodePublishVolume(volume.request(host.token, "1"));
      host.client.node().nodeUnpublishVolume(Kubelet.unpublish(volume.id, volume.target));
      host.process.stop();
    }
    HostProcess.Launcher plain = TestEnvironment.hostLauncher();
    return Files.isRegularFile(archive)
        ? plain.withJvmOptions(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto"))
        : plain;
  }

  /** One worker: publishes new generations and republishes the current one of its own volumes. */
  private void work(Host host, List<Volume> owned, AtomicInteger generations, AtomicBoolean stop,
      long seed, Runnable acknowledged) {
    Random random = new Random(seed);
    while (!stop.get()) {
      Volume volume = owned.get(random.nextInt(owned.size()));
      String generation = volume.acknowledged != null && random.nextInt(4) == 0
          ? volume.acknowledged
          : Integer.toString(generations.incrementAndGet());
      volume.inFlight.add(generation);
      try {
        host.client.node().nodePublishVolume(volume.request(host.token, generation));
      } catch (StatusRuntimeException e) {
        // The host was killed mid-call: the generation stays in flight. The kill reaches the client
        // as UNAVAILABLE, or, when it closes the connection while grpc-netty writes the call's
        // headers, as UNKNOWN "channel closed" (a ClosedChannelException) — only after a kill.
        if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE && !closedByKill(e)) {
          unexpected.compareAndSet(null, volume.id + " generation " + generation + ": " + e.getStatus());
        }
        acknowledged.run(); // wakes the killer even when this worker ends early
        return;
      }
      volume.acknowledged = generation;
      volume.inFlight.clear();
      acknowledged.run();
    }
  }

  private boolean closedByKill(StatusRuntimeException e) {
    return killIssued && e.getStatus().getCode() == io.grpc.Status.Code.UNKNOWN
        && e.getStatus().getCause() instanceof java.nio.channels.ClosedChannelException;
  }

  private static void checkAll(List<Volume> volumes, String when) throws IOException {
    for (Volume volume : volumes) {
      Optional<String> seen;
      try {
        // Before its first acknowledged publish no pod reads the volume (kubelet starts containers
        // only after NodePublishVolume succeeded): a subset of names is allowed, a mix is not.
        seen = VolumeContent.generation(volume.target, FILES, FILE_SIZE, volume.acknowledged != null);
      } catch (IllegalStateException e) {
        throw new AssertionError(when + ": " + e.getMessage(), e);
      }
      Set<String> allowed = new HashSet<>(volume.inFlight);
      if (volume.acknowledged != null) {
        allowed.add(volume.acknowledged);
        assertThat(seen).as(when + ": " + volume.id + " was published, so it must not be empty")
            .isPresent();
      }
      seen.ifPresent(g -> assertThat(allowed).as(when + ": generation of " + volume.id).contains(g));
      assertOnlyWriterNames(volume.target, when);
    }
  }

  /** The writer's own names, as a kill may leave them; anything else means it wrote elsewhere. */
  private static void assertOnlyWriterNames(Path target, String when) throws IOException {
    if (!Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> entries = Files.list(target)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        boolean writers = name.equals("..data") || name.equals("..data_tmp")
            ? Files.isSymbolicLink(entry)
            : DATA_DIR.matcher(name).matches()
                ? Files.isDirectory(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                : Files.isSymbolicLink(entry)
                    && Files.readSymbolicLink(entry).equals(Path.of("..data", name));
        assertThat(writers).as(when + ": " + entry + " is not a name the writer makes").isTrue();
      }
    }
  }

  /** After a complete publish: ..data, the one directory it names, and one link per file. */
  private static void assertNoDebris(Path target) throws IOException {
    Path current = Files.readSymbolicLink(target.resolve("..data"));
    try (Stream<Path> entries = Files.list(target)) {
      assertThat(entries.map(p -> p.getFileName().toString())
              .filter(name -> name.startsWith("..")))
          .as(target + " after a complete publish")
          .containsExactlyInAnyOrder("..data", current.toString());
    }
  }

  private final class Volume {
    final String id;
    final Path target;
    volatile String acknowledged;
    final Set<String> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();

    Volume(String id, Path target) {
      this.id = id;
      this.target = target;
    }

    csi.v1.Csi.NodePublishVolumeRequest request(String token, String generation) {
      return Kubelet.benchPublish(id, target, Map.of(
              BenchBackendFactory.GENERATION, generation,
              BenchBackendFactory.FILES, Integer.toString(FILES),
              BenchBackendFactory.FILE_SIZE, Integer.toString(FILE_SIZE)),
          token, Instant.now().plus(Duration.ofHours(1)));
    }
  }

  /** The real host process on the test's state dir, with a fresh token as after a kubelet rotation. */
  private final class Host implements AutoCloseable {
    final HostProcess process;
    final CsiConnection client;
    final String token = "r1-token-" + UUID.randomUUID();
    final int metricsPort = HostProcess.freeLoopbackPort();

    Host(Path pluginsDir) throws Exception {
      minted.add(token);
      Path socket = dir.resolve("csi.sock");
      process = HostProcess.start(launcher,
          HostProcess.serveArguments(socket, pluginsDir, dir.resolve("state"), null, Duration.ofMinutes(5),
              metricsPort, dir.resolve("kubelet")),
          socket, dir.resolve("host.log"));
      process.awaitProbe(Duration.ofSeconds(60));
      client = new CsiConnection(socket, Duration.ofSeconds(30));
    }

    @Override
    public void close() throws InterruptedException {
      client.close();
      process.close();
    }
  }
}
