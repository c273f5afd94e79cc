package dev.passport.tools;

import dev.passport.conformance.FakeKubelet;
import dev.passport.host.PassportHost;
import dev.passport.host.cli.CliExtension;
import dev.passport.host.http.ListenAddress;
import dev.passport.host.http.MetricsServer;
import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.tools.demo.AwsDemo;
import dev.passport.tools.demo.AzureDemo;
import dev.passport.tools.demo.BackendDemo;
import dev.passport.tools.demo.DemoSetting;
import dev.passport.tools.demo.DemoStory;
import dev.passport.tools.demo.Transcript;
import dev.passport.tools.demo.VaultDemo;
import dev.passport.tools.dropin.DropInDemo;
import dev.passport.tools.dropin.EmbeddedApiServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code passport demo}: the whole publish → republish → rotate → unpublish cycle on one machine,
 * with no cluster and no cloud account. A real host (directory mode, temporary socket) loads the
 * real plugins; a fake kubelet mints pod tokens; local stand-ins for the backend's servers (the
 * ones the tests use: a Vault-API dev server, STS with Secrets Manager and SSM, Entra ID with Key
 * Vault) verify them and serve the secret. Each backend's part is a {@link BackendDemo}; the
 * story is {@link DemoStory}'s; this command starts and stops things around them.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Publish, republish, rotate and unpublish a volume of a backend locally, against"
        + " stand-ins for its servers: no cluster, no cloud account.")
public final class DemoCommand implements CliExtension, Callable<Integer> {

  /** The backends the demo can show, in the order {@code all} shows them. */
  private static final Map<String, Supplier<BackendDemo>> BACKENDS = backends();

  @Option(names = "--backend", defaultValue = "vault", paramLabel = "vault|aws|azure|all",
      description = "The backend to show (all: each in turn, in one host). Default: ${DEFAULT-VALUE}.")
  String backend;

  @Option(names = "--plugins-dir",
      description = "Plugin directories to load. Default: the distribution's plugins/.")
  Path pluginsDir;

  @Option(names = "--metrics-address", defaultValue = "127.0.0.1:9809",
      description = "Serve /metrics and /healthz here during the demo (0 = off). Default: ${DEFAULT-VALUE}.")
  String metricsAddress;

  @Option(names = "--verbose", description = "Show the host's INFO logs.")
  boolean verbose;

  @Option(names = "--keep-running",
      description = "Keep the host, the stand-in servers and /metrics up after the demo until Ctrl-C.")
  boolean keepRunning;

  @Spec CommandSpec spec;

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public Object command() {
    return new DemoCommand();
  }

  @Override
  public Integer call() throws Exception {
    List<BackendDemo> backends = chosenBackends();
    if (!verbose) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
          .setLevel(ch.qos.logback.classic.Level.WARN);
    }
    Path plugins = pluginsDir != null ? pluginsDir : defaultPluginsDir();
    Transcript out = new Transcript(spec.commandLine().getOut());
    Path work = Files.createTempDirectory("passport-demo");
    FakeClock clock = FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    ServiceAccountTokens tokens = ServiceAccountTokens.create();
    DemoSetting setting = new DemoSetting(tokens, clock,
        Files.createDirectories(work.resolve("conf")));
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      for (BackendDemo demo : backends) {
        out.step("Started %s", demo.start(setting));
        // the drop-in step's SecretProviderClass: the inline volume's parameters, in the pod's
        // namespace (before the host's informer lists them: this API server sends no events)
        api.add(BackendDemo.NAMESPACE, DemoStory.className(demo), demo.backend(),
            demo.parameters());
      }
      PrometheusMetrics prometheus = PrometheusMetrics.create();
      try (PassportHost host = host(work, plugins, setting, prometheus, api).start();
          MetricsServer metrics = startMetrics(prometheus, host);
          FakeKubelet kubelet = FakeKubelet.connect(host.socket(), tokens, clock)) {
        out.step("Started the host on unix://%s (directory mode) with backends %s", host.socket(),
            host.backendNames());
        if (metrics != null) {
          out.step("Metrics: curl http://%s/metrics", hostPort(metrics.address()));
        }
        DemoStory story = new DemoStory(kubelet, host.counters(), clock, work.resolve("kubelet"),
            out);
        for (BackendDemo demo : backends) {
          story.lifecycle(demo);
          story.dropIn(demo, api);
        }
        printMetrics(prometheus, backends, out);
        if (keepRunning) {
          out.step("--keep-running: press Ctrl-C to stop");
          Thread.currentThread().join();
        }
      }
    } finally {
      backends.forEach(BackendDemo::close);
      deleteTree(work);
    }
    return 0;
  }

  /** A host in directory mode under {@code work}, reading conf/ and the API server's classes. */
  private static PassportHost.Builder host(Path work, Path plugins, DemoSetting setting,
      PrometheusMetrics prometheus, EmbeddedApiServer api) throws IOException {
    return PassportHost.builder()
        .socket(work.resolve("csi.sock"))
        .stateDir(work.resolve("state"))
        .pluginsDir(plugins)
        .configDir(setting.conf())
        .mountMode(MountMode.DIRECTORY)
        // made first: the host warns of a kubelet dir that is not there
        .kubeletDir(Files.createDirectories(work.resolve("kubelet")))
        .nodeId("demo-node")
        .clock(setting.clock())
        .metrics(prometheus)
        .secretProviderClasses(DropInDemo.classes(api), Map.of());
  }

  private static void printMetrics(PrometheusMetrics prometheus, List<BackendDemo> backends,
      Transcript out) {
    out.step("A few of the metrics /metrics serves:");
    String scrape = prometheus.scrape();
    for (BackendDemo demo : backends) {
      scrape.lines()
          .filter(line -> line.startsWith("passport_") && !line.contains("_bucket"))
          .filter(line -> line.contains("backend=\"" + demo.backend() + "\""))
          .limit(12)
          .forEach(line -> out.detail("%s", line));
    }
  }

  private List<BackendDemo> chosenBackends() {
    if (backend.equals("all")) {
      return BACKENDS.values().stream().map(Supplier::get).toList();
    }
    Supplier<BackendDemo> chosen = BACKENDS.get(backend);
    if (chosen == null) {
      throw new ParameterException(spec.commandLine(), "--backend " + backend
          + ": the demo shows " + String.join(", ", BACKENDS.keySet()) + " or all");
    }
    return List.of(chosen.get());
  }

  private static Map<String, Supplier<BackendDemo>> backends() {
    Map<String, Supplier<BackendDemo>> backends = new LinkedHashMap<>();
    backends.put("vault", VaultDemo::new);
    backends.put("aws", AwsDemo::new);
    backends.put("azure", AzureDemo::new);
    return backends;
  }

  private MetricsServer startMetrics(PrometheusMetrics prometheus, PassportHost host)
      throws IOException {
    Optional<InetSocketAddress> address = ListenAddress.parse(metricsAddress);
    if (address.isEmpty()) {
      return null;
    }
    try {
      return MetricsServer.start(address.get(), prometheus, host::ready);
    } catch (IOException e) {
      // A busy port must not spoil the demo: take any free one.
      return MetricsServer.start(new InetSocketAddress(address.get().getAddress(), 0), prometheus,
          host::ready);
    }
  }

  private static String hostPort(InetSocketAddress address) {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }

  private static Path defaultPluginsDir() {
    String home = System.getProperty("passport.home");
    if (home == null) {
      throw new IllegalArgumentException("--plugins-dir is required outside the distribution");
    }
    return Path.of(home, "plugins");
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
