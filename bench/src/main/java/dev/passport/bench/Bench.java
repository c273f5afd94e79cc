package dev.passport.bench;

import dev.passport.testkit.FakeClock;

import csi.v1.Csi;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import dev.passport.bench.HostProcess.Launcher;
import dev.passport.bench.plugin.BenchBackendFactory;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The benchmark of issue 9: P1-P6 against a real host process on its Unix socket (P2 against an
 * in-process host, whose clock can be moved), each figure next to a baseline measured in the same
 * run, medians over {@link Config#repeats()} runs. {@code bench/run} calls {@link #main}; the smoke
 * test calls {@link #run} with tiny counts.
 */
public final class Bench {

  private static final Duration TOKEN_TTL = Duration.ofHours(1);
  private static final Duration CADENCE = Duration.ofSeconds(75);
  private static final double MIB = 1024.0;

  private final Config config;
  private final Launcher host;
  private final Launcher minimal;
  private final Path pluginsDir;
  private final Report report;
  private int sequence;
  private Path memoryRoot;
  private static final Path SHM = Path.of("/dev/shm");

  /**
   * What to run and how often.
   *
   * @param name "full" or "smoke", printed in the table's title
   * @param repeats runs of P1, P3, P4 and P6 (each a fresh host process) whose medians are reported
   * @param p1Iterations warm republishes (and as many Probes) per run
   * @param p3Publishes cold publishes (and as many Probes) per run
   * @param p4Volumes volumes published for the loaded RSS of P4
   * @param p5Starts starts of each process variant in P5
   * @param p6Volumes volumes in the republish sweep of P6
   * @param p6Sweeps sweeps per run of P6
   * @param p2Pods pods of the simulated hour
   * @param workDir scratch space (sockets, state, targets, logs)
   * @param dist {@code dist/target/passport}, or null to run {@code java -cp hostClasspath}
   * @param launcherScript the {@code bin/passport} whose JVM flags every java process gets
   * @param hostClasspath the host's class path when {@code dist} is null
   */
  public record Config(String name, int repeats, int p1Iterations, int p3Publishes, int p4Volumes,
      int p5Starts, int p6Volumes, int p6Sweeps, int p2Pods, Path workDir, Path dist,
      Path launcherScript, String hostClasspath) {

    /** The counts of the full benchmark ({@code bench/run}). */
    public static Config full(Path workDir, Path dist, Path launcherScript, String hostClasspath) {
      return new Config("full", 5, 2000, 300, 500, 7, 1000, 3, 100, workDir, dist, launcherScript,
          hostClasspath);
    }

    /** The same counts with {@code n} repeats (bench/run's {@code -Dbench.repeats}). */
    public Config withRepeats(int n) {
      return new Config(name, n, p1Iterations, p3Publishes, p4Volumes, p5Starts, p6Volumes,
          p6Sweeps, p2Pods, workDir, dist, launcherScript, hostClasspath);
    }

    /** P7: concurrent kubelets publishing volumes at the per-volume limit (the worst allowed load). */
    public int p7Kubelets() {
      return name.equals("full") ? 32 : 4;
    }

    /** P7: volumes each kubelet publishes (and unpublishes) one after the other. */
    public int p7VolumesEach() {
      return name.equals("full") ? 3 : 1;
    }

    /** Tiny counts: proves the harness works, in seconds (CI). */
    public static Config smoke(Path workDir, Path dist, Path launcherScript, String hostClasspath) {
      return new Config("smoke", 1, 50, 10, 20, 1, 30, 1, 5, workDir, dist, launcherScript,
          hostClasspath);
    }
  }

  private Bench(Config config) throws IOException {
    this.config = config;
    Files.createDirectories(config.workDir());
    String benchClasses = PluginDirectories.writeMinimalServerJar(
        config.workDir().resolve("lib/passport-bench-minimal.jar")).toString();
    if (config.dist() != null) {
      Path bin = config.dist().resolve("bin/passport");
      // bench.javaOpts: JVM flags to try on the host (JAVA_OPTS, after bin/passport's defaults).
      host = Launcher.script(bin, System.getProperty("bench.javaOpts", ""));
      minimal = Launcher.java(HostProcess.launcherJvmOptions(bin),
          config.dist().resolve("lib") + "/*:" + benchClasses, MinimalProbeServer.class.getName());
    } else {
      List<String> flags = HostProcess.launcherJvmOptions(config.launcherScript());
      host = Launcher.java(flags, config.hostClasspath(), HostProcess.HOST_MAIN);
      minimal = Launcher.java(flags, config.hostClasspath() + ":" + benchClasses,
          MinimalProbeServer.class.getName());
    }
    pluginsDir = PluginDirectories.withShippedPlugins(config.workDir().resolve("plugins"),
        config.dist() == null ? null : config.dist().resolve("plugins"));
    report = new Report(config, PluginDirectories.ids(pluginsDir));
  }

  /** Runs every figure and returns the report (its {@link Report#markdown()} is the table). */
  public static Report run(Config config) throws Exception {
    Bench bench = new Bench(config);
    try {
      if ("footprint".equals(System.getProperty("bench.only"))) {
        // bench/run --only footprint: where the bytes and microseconds go (issue 22).
        bench.diagnose(Path.of(System.getProperty("bench.diagnostics", "bench/target/footprint")));
        return bench.report;
      }
      if ("p1p6".equals(System.getProperty("bench.only"))) {
        // bench/run --only p1p6: P1, P3, P4, P6 alone (a minute a repeat when trying JVM flags).
        bench.processFigures();
        return bench.report;
      }
      if ("p7".equals(System.getProperty("bench.only"))) {
        // bench/run --only p7: the worst-load figure alone (minutes less when tuning the heap).
        bench.worstLoad();
        return bench.report;
      }
      bench.startup();
      bench.processFigures();
      bench.worstLoad();
      bench.simulatedHour();
    } finally {
      bench.deleteMemoryRoot();
    }
    return bench.report;
  }

  /**
   * {@code bench/run}: system properties {@code bench.mode} (full|smoke), {@code bench.out} (the
   * markdown file), {@code bench.work}, {@code bench.dist} or {@code bench.hostClasspathFile},
   * {@code bench.launcherScript}.
   */
  public static void main(String[] args) throws Exception {
    System.setProperty("PASSPORT_LOG_LEVEL", "WARN");
    Path work = Path.of(System.getProperty("bench.work",
        Files.createTempDirectory("passport-bench").toString()));
    String distValue = System.getProperty("bench.dist", "");
    Path dist = distValue.isEmpty() ? null : Path.of(distValue);
    Path script = Path.of(System.getProperty("bench.launcherScript",
        dist == null ? "dist/src/bin/passport" : dist.resolve("bin/passport").toString()));
    String classpathFile = System.getProperty("bench.hostClasspathFile", "");
    String classpath = classpathFile.isEmpty() ? null : Files.readString(Path.of(classpathFile)).trim();
    Config config = "smoke".equals(System.getProperty("bench.mode", "full"))
        ? Config.smoke(work, dist, script, classpath)
        : Config.full(work, dist, script, classpath);
    String repeats = System.getProperty("bench.repeats", "");
    if (!repeats.isEmpty()) {
      config = config.withRepeats(Integer.parseInt(repeats));
    }
    String markdown = run(config).markdown();
    String out = System.getProperty("bench.out", "");
    if (!out.isEmpty()) {
      Files.writeString(Path.of(out), markdown, StandardCharsets.UTF_8);
    }
    System.out.println(markdown);
  }

  // --- P1, P3, P4, P6: one fresh host process per repeat ---------------------------------------

  /** P1's templated volume: one file rendered from two of the bench backend's files. */
  private static final String P1_TEMPLATES = "- fileName: app.env\n"
      + "  template: 'A={{file-000}} B={{#url}}{{file-001}}{{/url}}'\n";

  private void processFigures() throws Exception {
    List<Double> p1p50 = new ArrayList<>();
    List<Double> p1p99 = new ArrayList<>();
    List<Double> probeP50 = new ArrayList<>();
    List<Double> probeP99 = new ArrayList<>();
    List<Double> republishP50 = new ArrayList<>();
    List<Double> republishP99 = new ArrayList<>();
    List<Double> p1OneFile = new ArrayList<>();
    List<Double> p1Templated = new ArrayList<>();
    List<Double> p3Ratio = new ArrayList<>();
    List<Double> p3DiskRatio = new ArrayList<>();
    List<Double> p3DiskPublish = new ArrayList<>();
    List<Double> p3DiskProbe = new ArrayList<>();
    List<Double> p3Publish = new ArrayList<>();
    List<Double> p3Probe = new ArrayList<>();
    List<Double> rssIdle = new ArrayList<>();
    List<Double> rssLoaded = new ArrayList<>();
    List<Double> p6Sweep = new ArrayList<>();
    List<Double> p6Probes = new ArrayList<>();
    for (int r = 0; r < config.repeats(); r++) {
      try (Session s = new Session(host, List.of(), true)) {
        s.warmUp();
        rssIdle.add(ProcStats.rssKiB(s.process.pid()) / MIB);

        // P1: warm republish (nothing due, content intact) vs Probe, interleaved on one channel.
        Csi.NodePublishVolumeRequest warm = s.request("p1-warm", "1", 10);
        Csi.NodePublishVolumeRequest warmOneFile = s.request("p1-warm-1", "1", 1);
        // The same 10-file volume with a template rendered from two of its files (issue 23): a
        // warm republish renders nothing, so it should cost what the untemplated one costs.
        Csi.NodePublishVolumeRequest warmTemplated = s.request("p1-warm-t", "1", 10).toBuilder()
            .putVolumeContext("templates", P1_TEMPLATES).build();
        s.client.node().nodePublishVolume(warm);
        s.client.node().nodePublishVolume(warmOneFile);
        s.client.node().nodePublishVolume(warmTemplated);
        double[] probe = new double[config.p1Iterations()];
        double[] republish = new double[config.p1Iterations()];
        double[] republishOneFile = new double[config.p1Iterations()];
        double[] republishTemplated = new double[config.p1Iterations()];
        for (int i = 0; i < config.p1Iterations(); i++) {
          probe[i] = s.timedProbe();
          republish[i] = s.timedPublish(warm);
          republishOneFile[i] = s.timedPublish(warmOneFile);
          republishTemplated[i] = s.timedPublish(warmTemplated);
        }
        p1Templated.add(Stats.percentile(republishTemplated, 50) / Stats.percentile(republish, 50));
        p1OneFile.add(Stats.percentile(republishOneFile, 50) / Stats.percentile(probe, 50));
        double pr50 = Stats.percentile(probe, 50);
        double pr99 = Stats.percentile(probe, 99);
        double re50 = Stats.percentile(republish, 50);
        double re99 = Stats.percentile(republish, 99);
        probeP50.add(pr50);
        probeP99.add(pr99);
        republishP50.add(re50);
        republishP99.add(re99);
        p1p50.add(re50 / pr50);
        p1p99.add(re99 / pr99);

        // P3: cold publish of a new 10-file volume vs Probe.
        // Targets on tmpfs, as --mount-mode tmpfs gives them in production; on the work dir's disk
        // alongside, to show what the fsyncs of the atomic writer cost there. A host acts only
        // below its --kubelet-dir, so each medium has its own host process (the same launcher and
        // warm-up), and each publish is compared with Probes on its own host's channel.
        double[] cold = new double[config.p3Publishes()];
        double[] coldDisk = new double[config.p3Publishes()];
        double[] coldProbe = new double[config.p3Publishes()];
        double[] coldDiskProbe = new double[config.p3Publishes()];
        Host memory = s.memory;
        for (int i = 0; i < config.p3Publishes(); i++) {
          String id = "p3-" + r + "-" + i;
          String diskId = id + "-disk";
          Csi.NodePublishVolumeRequest memoryRequest = memory.request(id, "1", 10);
          Csi.NodePublishVolumeRequest diskRequest = s.request(diskId, "1", 10);
          coldProbe[i] = memory.timedProbe();
          cold[i] = memory.timedPublish(memoryRequest);
          coldDiskProbe[i] = s.timedProbe();
          coldDisk[i] = s.timedPublish(diskRequest);
          memory.client.node().nodeUnpublishVolume(Kubelet.unpublish(id, memory.target(id)));
          s.client.node().nodeUnpublishVolume(Kubelet.unpublish(diskId, s.target(diskId)));
        }
        double c50 = Stats.percentile(cold, 50);
        double cp50 = Stats.percentile(coldProbe, 50);
        double cd50 = Stats.percentile(coldDisk, 50);
        double cdp50 = Stats.percentile(coldDiskProbe, 50);
        p3Publish.add(c50);
        p3Probe.add(cp50);
        p3Ratio.add(c50 / cp50);
        p3DiskPublish.add(cd50);
        p3DiskProbe.add(cdp50);
        p3DiskRatio.add(cd50 / cdp50);

        // P4: RSS with p4Volumes published and being republished.
        List<Csi.NodePublishVolumeRequest> volumes = new ArrayList<>();
        for (int i = 0; i < config.p4Volumes(); i++) {
          volumes.add(s.request("vol-" + i, "1", 10));
        }
        volumes.forEach(v -> s.client.node().nodePublishVolume(v));
        long maxRss = 0;
        for (int sweep = 0; sweep < 3; sweep++) {
          for (Csi.NodePublishVolumeRequest v : volumes) {
            s.client.node().nodePublishVolume(v);
          }
          maxRss = Math.max(maxRss, ProcStats.rssKiB(s.process.pid()));
        }
        rssLoaded.add(maxRss / MIB);

        // P6: CPU of a republish sweep over p6Volumes vs as many Probes.
        for (int i = config.p4Volumes(); i < config.p6Volumes(); i++) {
          volumes.add(s.request("vol-" + i, "1", 10));
          s.client.node().nodePublishVolume(volumes.get(volumes.size() - 1));
        }
        List<Csi.NodePublishVolumeRequest> sweepSet = volumes.subList(0, config.p6Volumes());
        for (int sweep = 0; sweep < config.p6Sweeps(); sweep++) {
          double before = ProcStats.cpuSeconds(s.process.pid());
          for (Csi.NodePublishVolumeRequest v : sweepSet) {
            s.client.node().nodePublishVolume(v);
          }
          double afterSweep = ProcStats.cpuSeconds(s.process.pid());
          for (int i = 0; i < sweepSet.size(); i++) {
            s.client.probe();
          }
          double afterProbes = ProcStats.cpuSeconds(s.process.pid());
          p6Sweep.add(afterSweep - before);
          p6Probes.add(afterProbes - afterSweep);
        }
      }
    }
    report.p1(Stats.median(p1p50), Stats.median(republishP50), Stats.median(probeP50),
        Stats.median(p1p99), Stats.median(republishP99), Stats.median(probeP99));
    report.p1OneFile(Stats.median(p1OneFile));
    report.p1Templated(Stats.median(p1Templated));
    report.p3(Stats.median(p3Ratio), Stats.median(p3Publish), Stats.median(p3Probe),
        Stats.median(p3DiskRatio), Stats.median(p3DiskPublish), Stats.median(p3DiskProbe),
        memoryTargets());
    report.p4(Stats.median(rssIdle), Stats.median(rssLoaded));
    report.p6(Stats.median(p6Sweep), Stats.median(p6Probes), config.p6Volumes());
  }

  // --- P7: RSS under the worst allowed load (issue 13) ---------------------------------------

  /** The per-volume limit, reached as 8 files of 1 MiB (the bench plugin's largest file). */
  private static final int P7_FILES = 8;
  private static final int P7_FILE_SIZE = 1024 * 1024;

  /**
   * The worst load the limits allow: {@link Config#p7Kubelets()} kubelets at once, each publishing
   * volumes at the per-volume limit (8 MiB, kept published until the end so the cache stays full)
   * and retrying while the host's budget for material in
   * flight is in use, as kubelet does, on a host with the launcher's defaults (16Mi budget, 16Mi
   * cache). Measures the peak RSS (VmHWM) and, from the GC log, the heap after each collection,
   * from which the copies per byte in flight of {@code HeapFormula} follow. Fails if the host does
   * not survive or a volume never succeeds.
   */
  private void worstLoad() throws Exception {
    Path gcLog = config.workDir().resolve("p7-gc.log");
    Path kubeletDir = memoryTargets() ? memoryRoot().resolve("kubelet-p7")
        : config.workDir().resolve("kubelet-p7");
    try (Host h = new Host(host.withJvmOptions(List.of("-Xlog:gc:file=" + gcLog)), "p7",
        kubeletDir)) {
      h.await();
      h.warmUp();
      long pid = h.process.pid();
      double idleRss = ProcStats.rssKiB(pid) / MIB;
      fullGc(pid);
      long idleHeap = GcLog.lastAfterMiB(gcLog);
      int linesBefore = GcLog.lines(gcLog);
      AtomicInteger refused = new AtomicInteger();
      ExecutorService kubelets =
          Executors.newFixedThreadPool(config.p7Kubelets());
      try {
        List<Future<?>> runs = new ArrayList<>();
        for (int k = 0; k < config.p7Kubelets(); k++) {
          int kubelet = k;
          runs.add(kubelets.submit(() -> {
            for (int v = 0; v < config.p7VolumesEach(); v++) {
              String id = "p7-" + kubelet + "-" + v;
              Csi.NodePublishVolumeRequest request = Kubelet.benchPublish(id, h.target(id),
                  Map.of(BenchBackendFactory.FILES, Integer.toString(P7_FILES),
                      BenchBackendFactory.FILE_SIZE, Integer.toString(P7_FILE_SIZE),
                      BenchBackendFactory.GENERATION, id), h.token, h.tokenExpiry);
              publishRetrying(h, request, refused);
            }
            return null;
          }));
        }
        long nextSample = 0;
        for (Future<?> run : runs) {
          while (true) {
            try {
              run.get(200, TimeUnit.MILLISECONDS);
              break;
            } catch (TimeoutException e) {
              // Probe answers while the load runs: the host stays up and serves Identity.
              if (!h.client.probe()) {
                throw new IOException("the host did not answer Probe under the worst load");
              }
              if (System.nanoTime() > nextSample) {
                // A full collection about once a second samples the live heap under the load.
                fullGc(pid);
                nextSample = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
              }
            }
          }
        }
      } finally {
        kubelets.shutdownNow();
      }
      if (!h.client.probe()) {
        throw new IOException("the host did not answer Probe after the worst load");
      }
      double peakRss = ProcStats.hwmKiB(pid) / MIB;
      long peakHeap = GcLog.maxAfterFullMiB(gcLog, linesBefore);
      // Unpublished only now: during the load the cache stays full, as the formula assumes.
      for (int k = 0; k < config.p7Kubelets(); k++) {
        for (int v = 0; v < config.p7VolumesEach(); v++) {
          String id = "p7-" + k + "-" + v;
          h.client.node().nodeUnpublishVolume(Kubelet.unpublish(id, h.target(id)));
        }
      }
      report.p7(config.p7Kubelets(), config.p7Kubelets() * config.p7VolumesEach(), idleRss, peakRss,
          idleHeap, peakHeap, refused.get(), HostProcess.launcherHeapMiB());
    }
  }

  /** Publishes like kubelet: again after a retryable answer (budget in use), a moment later. */
  private static void publishRetrying(Host h, Csi.NodePublishVolumeRequest request,
      AtomicInteger refused) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (true) {
      try {
        h.client.node().nodePublishVolume(request);
        return;
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        boolean retryable = code == Status.Code.RESOURCE_EXHAUSTED
            || code == Status.Code.UNAVAILABLE || code == Status.Code.ABORTED;
        if (!retryable || System.nanoTime() > deadline) {
          throw e;
        }
        refused.incrementAndGet();
        Thread.sleep(20);
      }
    }
  }

  // --- issue 22: where the bytes and microseconds go -------------------------------------------

  /**
   * One host with every plugin and native memory tracking: after warm-up, and again with
   * {@link Config#p4Volumes()} volumes published and republished, writes the heap histogram, the
   * NMT summary, the class loaders' statistics and the RSS to {@code out}; then records the warm
   * republish path with JFR (sampling every 1 ms) while P1's loop runs, to {@code republish.jfr}.
   */
  private void diagnose(Path out) throws Exception {
    Files.createDirectories(out);
    try (Session s = new Session(host, List.of("-XX:NativeMemoryTracking=summary"), false)) {
      s.warmUp();
      long pid = s.process.pid();
      jcmdTo(pid, out.resolve("idle-histogram.txt"), "GC.class_histogram");
      jcmdTo(pid, out.resolve("idle-nmt.txt"), "VM.native_memory", "summary");
      jcmdTo(pid, out.resolve("idle-classloaders.txt"), "VM.classloader_stats");
      jcmdTo(pid, out.resolve("idle-metaspace.txt"), "VM.metaspace");
      Files.writeString(out.resolve("idle-status.txt"), Files.readString(Path.of("/proc/" + pid + "/status")));
      Files.writeString(out.resolve("idle-smaps.txt"), Files.readString(Path.of("/proc/" + pid + "/smaps")));
      List<Csi.NodePublishVolumeRequest> volumes = new ArrayList<>();
      for (int i = 0; i < config.p4Volumes(); i++) {
        volumes.add(s.request("vol-" + i, "1", 10));
      }
      for (int sweep = 0; sweep < 4; sweep++) {
        volumes.forEach(v -> s.client.node().nodePublishVolume(v));
      }
      jcmdTo(pid, out.resolve("loaded-histogram.txt"), "GC.class_histogram");
      jcmdTo(pid, out.resolve("loaded-nmt.txt"), "VM.native_memory", "summary");
      Files.writeString(out.resolve("loaded-status.txt"), Files.readString(Path.of("/proc/" + pid + "/status")));
      Files.writeString(out.resolve("loaded-smaps.txt"), Files.readString(Path.of("/proc/" + pid + "/smaps")));

      Csi.NodePublishVolumeRequest warm = s.request("p1-warm", "1", 10);
      s.client.node().nodePublishVolume(warm);
      Path jfrSettings = out.resolve("sampling.jfc");
      Files.writeString(jfrSettings, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          + "<configuration version=\"2.0\">\n"
          + "  <event name=\"jdk.ExecutionSample\"><setting name=\"enabled\">true</setting>"
          + "<setting name=\"period\">1 ms</setting></event>\n"
          + "  <event name=\"jdk.ObjectAllocationSample\"><setting name=\"enabled\">true</setting>"
          + "<setting name=\"throttle\">5000/s</setting><setting name=\"stackTrace\">true</setting></event>\n"
          + "</configuration>\n");
      jcmdTo(pid, out.resolve("jfr-start.txt"), "JFR.start", "name=republish",
          "settings=" + jfrSettings.toAbsolutePath());
      for (int i = 0; i < config.p1Iterations() * 5; i++) {
        s.client.probe();
        s.client.node().nodePublishVolume(warm);
      }
      jcmdTo(pid, out.resolve("jfr-dump.txt"), "JFR.dump", "name=republish",
          "filename=" + out.resolve("republish.jfr").toAbsolutePath());
    }
  }

  private static void jcmdTo(long pid, Path file, String... command)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "jcmd").toString(), Long.toString(pid)));
    args.addAll(List.of(command));
    Process jcmd = new ProcessBuilder(args).redirectErrorStream(true)
        .redirectOutput(file.toFile()).start();
    jcmd.waitFor();
  }

  /** A full collection now ({@code jcmd GC.run}): the GC log then shows the live heap. */
  private static void fullGc(long pid) throws IOException, InterruptedException {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd")
        .toString(), Long.toString(pid), "GC.run").redirectErrorStream(true).start();
    jcmd.getInputStream().readAllBytes();
    jcmd.waitFor();
  }

  // --- P5: start-up of the host vs a minimal grpc-java server, with and without AppCDS ----------

  private void startup() throws Exception {
    Path archives = Files.createDirectories(config.workDir().resolve("cds"));
    Path hostArchive = archives.resolve("passport.jsa");
    Path minimalArchive = archives.resolve("minimal.jsa");
    Path distArchive = config.dist() == null ? null : config.dist().resolve("lib/passport.jsa");
    boolean distHasArchive = distArchive != null && Files.isRegularFile(distArchive);

    Launcher hostPlain = withoutDistArchive(host);
    Launcher hostCds;
    if (distHasArchive) {
      hostCds = host;
    } else {
      dumpArchive(hostPlain, hostArchive, true);
      hostCds = hostPlain.withJvmOptions(List.of("-XX:SharedArchiveFile=" + hostArchive, "-Xshare:auto"));
    }
    dumpArchive(minimal, minimalArchive, false);
    Launcher minimalCds = minimal.withJvmOptions(
        List.of("-XX:SharedArchiveFile=" + minimalArchive, "-Xshare:auto"));

    List<Double> hostTimes = new ArrayList<>();
    List<Double> minimalTimes = new ArrayList<>();
    List<Double> hostCdsTimes = new ArrayList<>();
    List<Double> minimalCdsTimes = new ArrayList<>();
    List<Double> minimalRss = new ArrayList<>();
    List<Double> benchOnlyTimes = new ArrayList<>();
    Path benchOnly = PluginDirectories.withShippedPlugins(config.workDir().resolve("plugins-bench-only"), null);
    for (int i = 0; i < config.p5Starts(); i++) {
      hostTimes.add(startToProbe(hostPlain, true, null));
      benchOnlyTimes.add(startToProbe(hostPlain, true, null, benchOnly));
      minimalTimes.add(startToProbe(minimal, false, minimalRss));
      hostCdsTimes.add(startToProbe(hostCds, true, null));
      minimalCdsTimes.add(startToProbe(minimalCds, false, null));
    }
    report.p5(Stats.median(hostTimes), Stats.median(minimalTimes), Stats.median(hostCdsTimes),
        Stats.median(minimalCdsTimes), distHasArchive);
    report.minimalRss(Stats.median(minimalRss));
    report.p5BenchOnly(Stats.median(benchOnlyTimes), Stats.median(minimalTimes));
  }

  private Launcher withoutDistArchive(Launcher launcher) {
    if (!launcher.environment().containsKey("PASSPORT_CDS")) {
      return launcher;
    }
    Map<String, String> env = new LinkedHashMap<>(launcher.environment());
    env.put("PASSPORT_CDS", "off");
    return new Launcher(launcher.command(), env);
  }

  /** Runs the process once with -XX:ArchiveClassesAtExit; SIGTERM makes the JVM write the archive. */
  private void dumpArchive(Launcher launcher, Path archive, boolean isHost) throws Exception {
    Files.deleteIfExists(archive);
    Launcher dumping = launcher.withJvmOptions(List.of("-XX:ArchiveClassesAtExit=" + archive));
    if (isHost) {
      try (Session s = new Session(dumping, List.of(), false)) {
        // Load the classes of a publish, a republish and an unpublish into the archive too.
        Csi.NodePublishVolumeRequest request = s.request("cds", "1", 10);
        s.client.node().nodePublishVolume(request);
        s.client.node().nodePublishVolume(request);
        s.client.node().nodeUnpublishVolume(Kubelet.unpublish("cds", s.target("cds")));
      }
    } else {
      Path socket = config.workDir().resolve("minimal-" + (++sequence) + ".sock");
      try (HostProcess process = HostProcess.start(dumping, List.of(socket.toString()), socket,
          config.workDir().resolve("minimal.log"))) {
        process.awaitProbe(Duration.ofSeconds(60));
        process.stop();
      }
    }
    if (!Files.isRegularFile(archive)) {
      throw new IOException("the JVM wrote no AppCDS archive " + archive + "; see the logs in "
          + config.workDir());
    }
  }

  private double startToProbe(Launcher launcher, boolean isHost, List<Double> rss) throws Exception {
    return startToProbe(launcher, isHost, rss, pluginsDir);
  }

  private double startToProbe(Launcher launcher, boolean isHost, List<Double> rss, Path plugins)
      throws Exception {
    int n = ++sequence;
    Path socket = config.workDir().resolve("p5-" + n + ".sock");
    List<String> args = isHost
        ? HostProcess.serveArguments(socket, plugins, config.workDir().resolve("p5-state-" + n),
            null, Duration.ofMinutes(5), HostProcess.freeLoopbackPort(), startupKubeletDir())
        : List.of(socket.toString());
    try (HostProcess process = HostProcess.start(launcher, args, socket,
        config.workDir().resolve(isHost ? "host.log" : "minimal.log"))) {
      double millis = process.awaitProbe(Duration.ofSeconds(120)).toNanos() / 1e6;
      if (rss != null) {
        rss.add(ProcStats.rssKiB(process.pid()) / MIB);
      }
      process.stop();
      return millis;
    }
  }

  // --- P2: backend calls over a simulated hour (in-process host, moved clock) -------------------

  private void simulatedHour() throws Exception {
    report.p2("static, default --refresh-interval 5m", hour("static", Duration.ofMinutes(5)));
    report.p2("static, --refresh-interval 1h", hour("static", Duration.ofHours(1)));
    report.p2("dynamic lease, 30 min", hour("lease", Duration.ofMinutes(5)));
    report.p2("certificate, 24 h", hour("cert", Duration.ofMinutes(5)));
  }

  /** Backend calls and republishes of p2Pods pods over one simulated hour. */
  private HourResult hour(String material, Duration refreshInterval) throws Exception {
    Path dir = Files.createDirectories(config.workDir().resolve("p2-" + (++sequence)));
    FakeClock clock = FakeClock.at(Instant.parse("2026-11-26T10:00:00Z"));
    BenchBackendFactory backend = new BenchBackendFactory();
    int republishes = 0;
    Path kubeletDir = Files.createDirectories(dir.resolve("kubelet"));
    try (PassportHost passport = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .backendFactory(backend, Map.of())
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(kubeletDir)
        .clock(clock)
        .refreshInterval(refreshInterval)
        .start();
        CsiConnection client = new CsiConnection(passport.socket())) {
      List<SimulatedPod> pods = new ArrayList<>();
      for (int i = 0; i < config.p2Pods(); i++) {
        String volumeId = "p2-" + i;
        SimulatedPod pod = new SimulatedPod(volumeId, Kubelet.target(kubeletDir, volumeId), clock);
        pods.add(pod);
        client.node().nodePublishVolume(pod.request(material));
      }
      Instant end = clock.instant().plus(Duration.ofHours(1));
      clock.advance(CADENCE);
      while (!clock.instant().isAfter(end)) {
        for (SimulatedPod pod : pods) {
          client.node().nodePublishVolume(pod.request(material));
          republishes++;
        }
        clock.advance(CADENCE);
      }
    }
    return new HourResult(config.p2Pods(), backend.calls(), republishes);
  }

  /** Calls and republishes of one simulated hour. */
  record HourResult(int pods, int backendCalls, int republishes) {
    double callsPerPod() {
      return backendCalls / (double) pods;
    }

    /** Every publish and republish calls the backend in a driver without a cache. */
    double ratioToUncached() {
      return backendCalls / (double) (republishes + pods);
    }
  }

  /** kubelet's view of one pod: its token rotates at 80 % of its 1 h lifetime. */
  private static final class SimulatedPod {
    final String volumeId;
    final Path target;
    final FakeClock clock;
    Instant issuedAt;
    String token;

    SimulatedPod(String volumeId, Path target, FakeClock clock) {
      this.volumeId = volumeId;
      this.target = target;
      this.clock = clock;
      rotate();
    }

    Csi.NodePublishVolumeRequest request(String material) {
      if (!clock.instant().isBefore(issuedAt.plus(TOKEN_TTL.multipliedBy(8).dividedBy(10)))) {
        rotate();
      }
      return Kubelet.benchPublish(volumeId, target, Map.of(BenchBackendFactory.MATERIAL, material),
          token, issuedAt.plus(TOKEN_TTL));
    }

    private void rotate() {
      issuedAt = clock.instant();
      token = "bench-token-" + UUID.randomUUID();
    }
  }

  // --- host processes with a client each ------------------------------------------------------

  /**
   * One host process with a client, acting on targets below its own kubelet dir (the host refuses
   * any other target, so targets on two media need two hosts).
   */
  private class Host implements AutoCloseable {
    final HostProcess process;
    final Path kubeletDir;
    final Path socket;
    final String token = "bench-token-" + UUID.randomUUID();
    final Instant tokenExpiry = Instant.now().plus(TOKEN_TTL);
    CsiConnection client;

    /** Starts the process; {@link #await} waits for its first Probe and opens the client. */
    Host(Launcher launcher, String name, Path kubeletDir) throws IOException {
      this.kubeletDir = Files.createDirectories(kubeletDir);
      socket = config.workDir().resolve(name + ".sock");
      process = HostProcess.start(launcher,
          HostProcess.serveArguments(socket, pluginsDir, config.workDir().resolve("state-" + name),
              null, Duration.ofMinutes(5), HostProcess.freeLoopbackPort(), kubeletDir),
          socket, config.workDir().resolve("host.log"));
    }

    void await() throws IOException {
      process.awaitProbe(Duration.ofSeconds(120));
      client = new CsiConnection(socket);
    }

    /** kubelet's target for {@code volumeId} below this host's kubelet dir (parent created). */
    Path target(String volumeId) {
      return Kubelet.target(kubeletDir, volumeId);
    }

    Csi.NodePublishVolumeRequest request(String volumeId, String generation, int files, Path target) {
      return Kubelet.benchPublish(volumeId, target, Map.of(
          BenchBackendFactory.GENERATION, generation, BenchBackendFactory.FILES, Integer.toString(files)),
          token, tokenExpiry);
    }

    Csi.NodePublishVolumeRequest request(String volumeId, String generation, int files) {
      return request(volumeId, generation, files, target(volumeId));
    }

    /** The JIT and the connection warm up before anything is measured. */
    void warmUp() {
      Csi.NodePublishVolumeRequest request = request("warm-up", "1", 10);
      for (int i = 0; i < Math.max(50, config.p1Iterations() / 4); i++) {
        client.probe();
        client.node().nodePublishVolume(request);
      }
      client.node().nodeUnpublishVolume(Kubelet.unpublish("warm-up", target("warm-up")));
    }

    double timedProbe() {
      long start = System.nanoTime();
      client.probe();
      return (System.nanoTime() - start) / 1e6;
    }

    double timedPublish(Csi.NodePublishVolumeRequest request) {
      long start = System.nanoTime();
      client.node().nodePublishVolume(request);
      return (System.nanoTime() - start) / 1e6;
    }

    @Override
    public void close() throws Exception {
      try {
        if (client != null) {
          client.close();
        }
      } finally {
        int exit = process.stop();
        if (exit != 0 && exit != 143) {
          throw new IOException("the host exited with " + exit + " on SIGTERM; see "
              + config.workDir().resolve("host.log"));
        }
      }
    }
  }

  /**
   * The host process of a run, its kubelet dir in the work dir (targets on disk), and optionally
   * a second one with its kubelet dir on tmpfs ({@link #memory}) for P3's targets there.
   */
  private final class Session extends Host {
    final Host memory;

    Session(Launcher launcher, List<String> extraJvmOptions, boolean withMemoryHost)
        throws Exception {
      this(launcher.withJvmOptions(extraJvmOptions), ++sequence, withMemoryHost);
    }

    private Session(Launcher launcher, int n, boolean withMemoryHost) throws Exception {
      super(launcher, "host-" + n, config.workDir().resolve("kubelet-" + n));
      Host second = null;
      try {
        if (withMemoryHost) {
          second = new Host(launcher, "host-" + n + "-memory", memoryRoot().resolve("kubelet-" + n));
        }
        await();
        if (second != null) {
          second.await();
          second.warmUp();
        }
      } catch (Exception e) {
        closeQuietly(second);
        closeQuietly(this);
        throw e;
      }
      memory = second;
    }

    @Override
    public void close() throws Exception {
      try {
        if (memory != null) {
          memory.close();
        }
      } finally {
        super.close();
      }
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      // the first failure is the one reported
    }
  }

  /**
   * The kubelet dir of P5's starts: an existing directory, as on a node, so that the host starts
   * as it does there (P5 publishes nothing).
   */
  private Path startupKubeletDir() throws IOException {
    return Files.createDirectories(config.workDir().resolve("kubelet-p5"));
  }

  /** Where targets on tmpfs go: {@code /dev/shm} when writable, else the work dir (disk). */
  private Path memoryRoot() throws IOException {
    if (memoryRoot == null) {
      memoryRoot = memoryTargets()
          ? Files.createTempDirectory(SHM, "passport-bench-")
          : config.workDir().resolve("no-tmpfs");
    }
    return memoryRoot;
  }

  private static boolean memoryTargets() {
    return Files.isDirectory(SHM) && Files.isWritable(SHM);
  }

  private void deleteMemoryRoot() throws IOException {
    if (memoryRoot != null && memoryRoot.startsWith(SHM)) {
      try (var paths = Files.walk(memoryRoot)) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  static String format(double value) {
    return String.format(Locale.ROOT, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value);
  }
}
