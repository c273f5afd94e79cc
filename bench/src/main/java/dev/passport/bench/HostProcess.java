package dev.passport.bench;

import static java.util.Objects.requireNonNull;

import dev.passport.host.memory.HeapFormula;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real server process on a Unix socket: {@code bin/passport serve}, {@code java … Main serve} with
 * the launcher's JVM flags, or the minimal grpc-java server. Its output goes to a log file.
 */
public final class HostProcess implements AutoCloseable {

  /** The host's entry point. */
  public static final String HOST_MAIN = "dev.passport.host.cli.Main";

  /** The defaults of PASSPORT_CACHE_BYTES and PASSPORT_MATERIAL_BUDGET in bin/passport. */
  static final long DEFAULT_CACHE_BYTES = 16L << 20;
  static final long DEFAULT_BUDGET_BYTES = 16L << 20;
  private static final Pattern DEFAULT_OPTS = Pattern.compile("DEFAULT_OPTS=\"([^\"]*)\"", Pattern.DOTALL);

  private final Process process;
  private final long startedNanos;
  private final Path socket;

  private HostProcess(Process process, long startedNanos, Path socket) {
    this.process = process;
    this.startedNanos = startedNanos;
    this.socket = socket;
  }

  /** How to start a process: the command before its own arguments, and extra environment. */
  public record Launcher(List<String> command, Map<String, String> environment) {
    public Launcher {
      command = List.copyOf(command);
      environment = Map.copyOf(environment);
    }

    /** {@code bin/passport}, with {@code javaOpts} in {@code JAVA_OPTS} (appended to its defaults). */
    public static Launcher script(Path binPassport, String javaOpts) {
      return new Launcher(List.of(binPassport.toString()), Map.of("JAVA_OPTS", javaOpts,
          "PASSPORT_CDS", "on"));
    }

    /** {@code java <jvmOptions> -cp <classpath> <mainClass>}. */
    public static Launcher java(List<String> jvmOptions, String classpath, String mainClass) {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      command.add("-cp");
      command.add(classpath);
      command.add(mainClass);
      // bin/passport exports MALLOC_ARENA_MAX=2: the same for processes started without it.
      return new Launcher(command, Map.of("MALLOC_ARENA_MAX", "2"));
    }

    /** This launcher with more JVM options (java launchers only: before {@code -cp}). */
    public Launcher withJvmOptions(List<String> options) {
      if (options.isEmpty()) {
        return this;
      }
      if (environment.containsKey("JAVA_OPTS")) {
        String joined = (environment.get("JAVA_OPTS") + " " + String.join(" ", options)).trim();
        Map<String, String> env = new java.util.HashMap<>(environment);
        env.put("JAVA_OPTS", joined);
        return new Launcher(command, env);
      }
      List<String> longer = new ArrayList<>(command);
      longer.addAll(command.indexOf("-cp"), options);
      return new Launcher(longer, environment);
    }
  }

  /**
   * The JVM options {@code bin/passport} uses by default ({@code DEFAULT_OPTS} of the script), so
   * that a process started with {@code java} runs exactly as the launcher would run it.
   */
  public static List<String> launcherJvmOptions(Path script) throws IOException {
    Matcher m = DEFAULT_OPTS.matcher(Files.readString(script));
    if (!m.find()) {
      throw new IOException(script + " has no DEFAULT_OPTS=\"…\" line");
    }
    List<String> options = new ArrayList<>(Arrays.stream(m.group(1).replace("\\\n", " ").trim()
        .split("\\s+")).filter(s -> !s.isEmpty()).toList());
    // The script derives -Xmx from the memory bounds; with its defaults that is the formula's heap.
    options.add("-Xmx" + launcherHeapMiB() + "m");
    return List.copyOf(options);
  }

  /** The -Xmx, in MiB, that bin/passport gives the host with its default memory bounds. */
  public static long launcherHeapMiB() {
    return HeapFormula.requiredHeapMib(DEFAULT_CACHE_BYTES, DEFAULT_BUDGET_BYTES);
  }

  /**
   * {@code passport serve} arguments for a local run on {@code socket}, with /metrics on
   * {@code 127.0.0.1:metricsPort} (as in production metrics are on; a free port, so that parallel
   * runs and other processes on the machine never collide on the default :9809).
   */
  public static List<String> serveArguments(Path socket, Path pluginsDir, Path stateDir, Path configDir,
      Duration refreshInterval, int metricsPort) {
    List<String> args = new ArrayList<>(List.of("serve", "--endpoint", "unix://" + socket,
        "--node-id", "bench-node", "--plugins-dir", pluginsDir.toString(),
        "--state-dir", stateDir.toString(), "--mount-mode", "directory",
        "--refresh-interval", refreshInterval.toSeconds() + "s",
        "--metrics-address", "127.0.0.1:" + metricsPort));
    if (configDir != null) {
      args.add("--config-dir");
      args.add(configDir.toString());
    }
    return args;
  }

  /** {@link #serveArguments} with {@code --kubelet-dir}: the host acts only on targets below it. */
  public static List<String> serveArguments(Path socket, Path pluginsDir, Path stateDir, Path configDir,
      Duration refreshInterval, int metricsPort, Path kubeletDir) {
    List<String> args = serveArguments(socket, pluginsDir, stateDir, configDir, refreshInterval,
        metricsPort);
    args.add("--kubelet-dir");
    args.add(kubeletDir.toString());
    return args;
  }

  /** A TCP port on 127.0.0.1 that was free a moment ago. */
  public static int freeLoopbackPort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** GET {@code http://127.0.0.1:port/metrics}: the Prometheus scrape of a running host. */
  public static String scrapeMetrics(int port) throws IOException, InterruptedException {
    java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics"))
            .timeout(Duration.ofSeconds(10)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("/metrics answered " + response.statusCode());
    }
    return response.body();
  }

  /** Starts the process; its socket file is removed first so that readiness means this process. */
  public static HostProcess start(Launcher launcher, List<String> arguments, Path socket, Path log)
      throws IOException {
    requireNonNull(socket, "socket is null");
    Files.deleteIfExists(socket);
    List<String> command = new ArrayList<>(launcher.command());
    command.addAll(arguments);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(launcher.environment());
    long started = System.nanoTime();
    return new HostProcess(builder.start(), started, socket);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits until Identity.Probe is answered on the socket and returns the time since the process
   * was started. Each attempt opens a fresh channel: a refused connection would otherwise put the
   * channel into gRPC's reconnect backoff (1 s), which would be measured as start-up time.
   */
  public Duration awaitProbe(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("the process exited with " + process.exitValue()
            + " before answering Probe; see its log");
      }
      if (Files.exists(socket)) {
        try (CsiConnection connection = new CsiConnection(socket, Duration.ofSeconds(5))) {
          if (connection.probe()) {
            return Duration.ofNanos(System.nanoTime() - startedNanos);
          }
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
            throw e;
          }
        }
      }
      // Polling at 0.5 ms: the resolution of the start-up figure.
      LockSupport.parkNanos(500_000);
    }
    throw new IOException("no answer to Probe on " + socket + " within " + timeout);
  }

  /** SIGKILL, as the OOM killer or a node crash would; waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, as kubelet would on pod deletion; returns the exit code. */
  public int stop() throws InterruptedException, IOException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IOException("the process did not stop within 30 s of SIGTERM");
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
