package dev.passport.bench.stall;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import csi.v1.Csi;
import csi.v1.NodeGrpc;
import dev.passport.bench.CsiConnection;
import dev.passport.bench.HostProcess;
import dev.passport.bench.HostProcess.Launcher;
import dev.passport.bench.Kubelet;
import dev.passport.bench.PluginDirectories;
import dev.passport.bench.Stats;
import dev.passport.bench.stall.plugin.TarpitBackendFactory;
import dev.passport.host.csi.UnixSocketChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * S1 (issue 13): Probe latency while 64 volumes hang on servers that accept and never answer.
 * The real host process ({@code java} with {@code bin/passport}'s JVM flags), the tarpit plugin
 * and the bench plugin loaded from real plugin directories; 64 publishes spread over 16 tarpit
 * remotes, sent at once as kubelet sends them for 64 new pods. During the stall: Probes, publishes
 * of new volumes on the healthy bench backend, unpublishes of earlier ones. Run twice: with the
 * default limits, and with the per-backend and per-remote limits at the fetch threads (off).
 *
 * <pre>bench/run-stall</pre>
 */
public final class StallBench {

  private static final int STALLED_VOLUMES = 64;
  private static final int REMOTES = 16;
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private final Path work;
  private final Launcher launcher;
  private final int probes;
  private final int healthyCalls;

  private StallBench(Path work, Launcher launcher, int probes, int healthyCalls) {
    this.work = work;
    this.launcher = launcher;
    this.probes = probes;
    this.healthyCalls = healthyCalls;
  }

  /** One variant's figures. */
  record Result(String variant, double idleP50, double idleP99, double p50, double p99,
      double max, int refused, String refusedCodes, double slowestRefusal, int healthyOk,
      double healthyMax, String healthyFailures, int unpublishOk, double unpublishMax,
      int tarpitConnections) {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(required("bench.work"));
    String classpath = Files.readString(Path.of(required("bench.hostClasspathFile"))).trim();
    Path script = Path.of(required("bench.launcherScript"));
    int probes = Integer.getInteger("bench.stall.probes", 2000);
    List<String> jvmOptions = new ArrayList<>(HostProcess.launcherJvmOptions(script));
    // Appended, so they win: e.g. the -Xmx bin/passport derives from the memory bounds.
    for (String option : System.getProperty("bench.stall.jvmOptions", "").split("\\s+")) {
      if (!option.isBlank()) {
        jvmOptions.add(option);
      }
    }
    Launcher launcher = Launcher.java(jvmOptions, classpath, HostProcess.HOST_MAIN);
    StallBench bench = new StallBench(work, launcher, probes, 20);
    List<Result> results = new ArrayList<>();
    results.add(bench.run("default limits (remote 4, backend 8, fetch threads 12)", List.of()));
    results.add(bench.run("per-backend and per-remote limits off (12 = fetch threads)",
        List.of("--max-fetches-per-backend", "12", "--max-fetches-per-remote", "12")));
    String table = table(results, probes);
    System.out.println(table);
    String out = System.getProperty("bench.out");
    if (out != null) {
      Files.writeString(Path.of(out), table, UTF_8);
    }
  }

  Result run(String variant, List<String> flags) throws Exception {
    Path dir = Files.createTempDirectory(work, "stall-");
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    PluginDirectories.writeBenchPlugin(plugins);
    writeTarpitPlugin(plugins);
    Path kubelet = Files.createDirectories(dir.resolve("kubelet"));
    Path socket = dir.resolve("csi.sock");
    List<String> arguments = new ArrayList<>(HostProcess.serveArguments(socket, plugins,
        dir.resolve("state"), null, Duration.ofMinutes(5), HostProcess.freeLoopbackPort(), kubelet));
    arguments.addAll(flags);
    try (Tarpit tarpit = Tarpit.open(REMOTES);
        HostProcess host = HostProcess.start(launcher, arguments, socket, dir.resolve("host.log"))) {
      host.awaitProbe(PATIENCE);
      try (CsiConnection csi = new CsiConnection(socket, PATIENCE);
          UnixSocketChannel stalls = UnixSocketChannel.open(socket, "bench-stalls")) {
        List<String> healthy = warmUp(csi, kubelet);
        double[] idle = probeMillis(csi);

        Stall stall = stall(NodeGrpc.newFutureStub(stalls.channel()), kubelet, tarpit);
        stall.awaitRefusalsSettled(tarpit);
        double[] during = probeMillis(csi);
        int[] healthyOk = {0};
        Map<Status.Code, Integer> healthyFailures = new TreeMap<>();
        double healthyMax = timed(healthyCalls, i -> {
          String volume = "during-" + i;
          try {
            csi.node().nodePublishVolume(benchPublish(volume, kubelet));
            healthyOk[0]++;
          } catch (StatusRuntimeException e) {
            healthyFailures.merge(e.getStatus().getCode(), 1, Integer::sum);
          }
        });
        int[] unpublishOk = {0};
        double unpublishMax = timed(healthy.size(), i -> {
          String volume = healthy.get(i);
          csi.node().nodeUnpublishVolume(Kubelet.unpublish(volume, Kubelet.target(kubelet, volume)));
          unpublishOk[0]++;
        });
        int connections = tarpit.accepted.get();
        tarpit.close();
        stall.awaitAll();
        return new Result(variant, Stats.percentile(idle, 50), Stats.percentile(idle, 99),
            Stats.percentile(during, 50), Stats.percentile(during, 99),
            Stats.percentile(during, 100), stall.refusals(), stall.codes(),
            stall.slowestRefusalMillis(), healthyOk[0], healthyMax,
            healthyFailures.isEmpty() ? "" : " " + healthyFailures, unpublishOk[0], unpublishMax,
            connections);
      }
    }
  }

  private List<String> warmUp(CsiConnection csi, Path kubelet) {
    for (int i = 0; i < 500; i++) {
      csi.probe();
    }
    List<String> volumes = new ArrayList<>();
    for (int i = 0; i < healthyCalls; i++) {
      String volume = "before-" + i;
      csi.node().nodePublishVolume(benchPublish(volume, kubelet));
      volumes.add(volume);
    }
    return volumes;
  }

  private double[] probeMillis(CsiConnection csi) {
    double[] millis = new double[probes];
    for (int i = 0; i < probes; i++) {
      long start = System.nanoTime();
      csi.probe();
      millis[i] = (System.nanoTime() - start) / 1e6;
    }
    return millis;
  }

  @FunctionalInterface
  private interface Call {
    void run(int i) throws Exception;
  }

  /** Runs {@code count} calls one after the other, failures counted by the caller; the slowest. */
  private static double timed(int count, Call call) {
    double slowest = 0;
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      try {
        call.run(i);
      } catch (Exception e) {
        // counted: the call did not increment its success count
      }
      slowest = Math.max(slowest, (System.nanoTime() - start) / 1e6);
    }
    return slowest;
  }

  private Stall stall(NodeGrpc.NodeFutureStub node, Path kubelet, Tarpit tarpit) {
    Stall stall = new Stall();
    for (int i = 0; i < STALLED_VOLUMES; i++) {
      String volume = "stalled-" + i;
      String remote = "tcp://127.0.0.1:" + tarpit.ports.get(i % REMOTES);
      Csi.NodePublishVolumeRequest request = Kubelet.publish(volume, Kubelet.target(kubelet, volume),
          Map.of("backend", TarpitBackendFactory.NAME, "remote", remote),
          Kubelet.tokensJson(Map.of(TarpitBackendFactory.NAME, "bench-token"),
              Instant.now().plus(Duration.ofHours(1)))).build();
      long sent = System.nanoTime();
      Futures.addCallback(node.withDeadlineAfter(110, TimeUnit.SECONDS).nodePublishVolume(request),
          new FutureCallback<>() {
            @Override
            public void onSuccess(Csi.NodePublishVolumeResponse response) {
              stall.done.countDown();
            }

            @Override
            public void onFailure(Throwable t) {
              if (stall.settled.getCount() > 0) {
                Status.Code code = t instanceof StatusRuntimeException e
                    ? e.getStatus().getCode() : Status.Code.UNKNOWN;
                stall.refusals.add(code);
                stall.refusalMillis.add((System.nanoTime() - sent) / 1e6);
              }
              stall.done.countDown();
            }
          }, MoreExecutors.directExecutor());
    }
    return stall;
  }

  /** The 64 stalled calls: those answered before the tarpit closes are the refused ones. */
  private static final class Stall {
    final Queue<Status.Code> refusals = new ConcurrentLinkedQueue<>();
    final Queue<Double> refusalMillis = new ConcurrentLinkedQueue<>();
    final CountDownLatch settled = new CountDownLatch(1);
    final CountDownLatch done = new CountDownLatch(STALLED_VOLUMES);

    /** Every call either reached a tarpit or was answered. */
    void awaitRefusalsSettled(Tarpit tarpit) throws InterruptedException, IOException {
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      while (refusals.size() + tarpit.accepted.get() < STALLED_VOLUMES) {
        if (System.nanoTime() > deadline) {
          throw new IOException("only " + refusals.size() + " refusals and " + tarpit.accepted.get()
              + " tarpit connections within " + PATIENCE);
        }
        done.await(1, TimeUnit.MILLISECONDS);
      }
      settled.countDown();
    }

    void awaitAll() throws InterruptedException, IOException {
      if (!done.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("stalled publishes still unanswered " + PATIENCE + " after the"
            + " tarpit closed");
      }
    }

    int refusals() {
      return refusals.size();
    }

    String codes() {
      Map<Status.Code, Integer> counts = new TreeMap<>();
      refusals.forEach(code -> counts.merge(code, 1, Integer::sum));
      return counts.toString();
    }

    double slowestRefusalMillis() {
      return refusalMillis.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
  }

  private static Csi.NodePublishVolumeRequest benchPublish(String volume, Path kubelet) {
    return Kubelet.benchPublish(volume, Kubelet.target(kubelet, volume), Map.of(), "bench-token",
        Instant.now().plus(Duration.ofHours(1)));
  }

  /** Servers that accept every connection and never send a byte, until closed. */
  private static final class Tarpit implements AutoCloseable {
    final List<Integer> ports = new ArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();
    private final List<ServerSocket> servers = new ArrayList<>();
    private final Queue<Socket> held = new ConcurrentLinkedQueue<>();

    static Tarpit open(int count) throws IOException {
      Tarpit tarpit = new Tarpit();
      for (int i = 0; i < count; i++) {
        ServerSocket server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        tarpit.servers.add(server);
        tarpit.ports.add(server.getLocalPort());
        Thread acceptor = new Thread(() -> tarpit.acceptAll(server), "tarpit-" + i);
        acceptor.setDaemon(true);
        acceptor.start();
      }
      return tarpit;
    }

    private void acceptAll(ServerSocket server) {
      try {
        while (true) {
          held.add(server.accept());
          accepted.incrementAndGet();
        }
      } catch (IOException e) {
        // closed
      }
    }

    @Override
    public void close() {
      for (ServerSocket server : servers) {
        closeQuietly(server);
      }
      Socket socket;
      while ((socket = held.poll()) != null) {
        closeQuietly(socket);
      }
    }

    private static void closeQuietly(AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        // closing
      }
    }
  }

  static String table(List<Result> results, int probes) {
    StringBuilder out = new StringBuilder("## S1 Probe during a stall of " + STALLED_VOLUMES
        + " volumes on " + REMOTES + " tarpit remotes\n\n"
        + Runtime.getRuntime().availableProcessors() + " cores, "
        + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
        + "; the host process with bin/passport's JVM flags; " + probes
        + " Probes idle, then " + probes + " during the stall, one after the other.\n\n"
        + "| Variant | Probe idle p50 / p99 | Probe during stall p50 / p99 / max | Goal p99 | Met"
        + " | Stalled publishes answered at once | slowest such answer | tarpit connections"
        + " | healthy publishes ok / max ms | unpublishes ok / max ms |\n"
        + "|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      out.append(String.format("| %s | %.3f / %.3f ms | %.3f / %.3f / %.1f ms | < 100 ms | %s"
              + " | %d %s | %.1f ms | %d | %d%s / %.1f | %d / %.1f |%n",
          r.variant(), r.idleP50(), r.idleP99(), r.p50(), r.p99(), r.max(),
          r.p99() < 100 ? "yes" : "**no**", r.refused(), r.refusedCodes(), r.slowestRefusal(),
          r.tarpitConnections(), r.healthyOk(), r.healthyFailures(), r.healthyMax(), r.unpublishOk(),
          r.unpublishMax()));
    }
    return out.toString();
  }

  /** {@code <plugins>/tarpit}: plugin.properties and a jar of this plugin's classes only. */
  static Path writeTarpitPlugin(Path plugins) throws IOException {
    Path dir = Files.createDirectories(plugins.resolve(TarpitBackendFactory.NAME));
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Files.writeString(dir.resolve("plugin.properties"), "plugin.id=" + TarpitBackendFactory.NAME
        + "\nplugin.version=1.0.0\nplugin.requires=1.1\n", UTF_8);
    String prefix = TarpitBackendFactory.class.getPackageName().replace('.', '/') + "/";
    try (JarOutputStream jar = new JarOutputStream(
        Files.newOutputStream(lib.resolve("passport-tarpit-plugin.jar")))) {
      jar.putNextEntry(new JarEntry("META-INF/services/dev.passport.api.BackendFactory"));
      jar.write((TarpitBackendFactory.class.getName() + "\n").getBytes(UTF_8));
      jar.closeEntry();
      copyClasses(jar, prefix);
    }
    return dir;
  }

  private static void copyClasses(JarOutputStream jar, String prefix) throws IOException {
    Path source;
    try {
      source = Path.of(StallBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException("cannot locate the tarpit plugin classes", e);
    }
    if (Files.isDirectory(source)) {
      try (Stream<Path> files = Files.walk(source)) {
        for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
          String name = source.relativize(file).toString().replace('\\', '/');
          if (name.startsWith(prefix)) {
            jar.putNextEntry(new JarEntry(name));
            Files.copy(file, jar);
            jar.closeEntry();
          }
        }
      }
      return;
    }
    try (JarFile from = new JarFile(source.toFile())) {
      for (JarEntry entry : from.stream()
          .filter(e -> e.getName().startsWith(prefix) && !e.isDirectory()).toList()) {
        jar.putNextEntry(new JarEntry(entry.getName()));
        try (InputStream in = from.getInputStream(entry)) {
          in.transferTo((OutputStream) jar);
        }
        jar.closeEntry();
      }
    }
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("-D" + property + " is required; run bench/run-stall");
    }
    return value;
  }
}
