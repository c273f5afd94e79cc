package dev.passport.tools;

import dev.passport.api.Pod;
import dev.passport.host.PassportHost;
import dev.passport.host.cli.CliExtension;
import dev.passport.host.http.ListenAddress;
import dev.passport.host.http.MetricsServer;
import dev.passport.host.metrics.CountingMetrics;
import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.tools.dropin.DropInDemo;
import dev.passport.tools.dropin.EmbeddedApiServer;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRole;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code passport demo}: the whole publish → republish → rotate → unpublish cycle on one machine,
 * with no cluster and no cloud account. A real host (directory mode, temporary socket) loads the
 * real vault plugin; a fake kubelet mints pod tokens; a Vault-API <em>dev server</em> (in memory,
 * the one the tests use, not Vault) verifies them and serves a KV secret.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Publish, republish, rotate and unpublish a Vault-backed volume locally:"
        + " no cluster, no cloud account.")
public final class DemoCommand implements CliExtension, Callable<Integer> {

  private static final String ROLE = "web";
  private static final String NAMESPACE = "demo";
  private static final String OBJECTS = """
      - objectName: db/username
        secretPath: secret/data/app/db
        secretKey: username
      - objectName: db/password
        secretPath: secret/data/app/db
        secretKey: password
      """;
  private static final String SERVICE_ACCOUNT = "web";

  @Option(names = "--plugins-dir",
      description = "Plugin directories to load. Default: the distribution's plugins/.")
  Path pluginsDir;

  @Option(names = "--metrics-address", defaultValue = "127.0.0.1:9809",
      description = "Serve /metrics and /healthz here during the demo (0 = off). Default: ${DEFAULT-VALUE}.")
  String metricsAddress;

  @Option(names = "--verbose", description = "Show the host's INFO logs.")
  boolean verbose;

  @Option(names = "--keep-running",
      description = "Keep the host, the dev server and /metrics up after the demo until Ctrl-C.")
  boolean keepRunning;

  private final PrintStream out = System.out;

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
    if (!verbose) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
          .setLevel(ch.qos.logback.classic.Level.WARN);
    }
    Path plugins = pluginsDir != null ? pluginsDir : defaultPluginsDir();
    Path work = Files.createTempDirectory("passport-demo");
    FakeClock clock = FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    ServiceAccountTokens tokens = ServiceAccountTokens.create();
    try (VaultDevServer vault = VaultDevServer.start(tokens, clock);
        EmbeddedApiServer api = EmbeddedApiServer.start()) {
      // The drop-in step's SecretProviderClass: the inline volume's parameters, in the pod's namespace.
      api.add(NAMESPACE, "app-db", "vault", Map.of("roleName", ROLE, "objects", OBJECTS));
      vault.addRole("kubernetes", VaultRole.of(ROLE, NAMESPACE, SERVICE_ACCOUNT));
      vault.mountKv("", "secret", 2);
      vault.kvPut("secret", "app/db", Map.of("username", "app", "password", "first-password"));
      step("Started a Vault-API dev server at %s (in memory, for demos and tests; it is not Vault)",
          vault.address());

      Path conf = Files.createDirectories(work.resolve("conf"));
      Files.writeString(conf.resolve("vault.properties"), "vaultAddress=" + vault.address() + "\n");
      PrometheusMetrics prometheus = PrometheusMetrics.create();
      PassportHost.Builder builder = PassportHost.builder()
          .socket(work.resolve("csi.sock"))
          .stateDir(work.resolve("state"))
          .pluginsDir(plugins)
          .configDir(conf)
          .mountMode(MountMode.DIRECTORY)
          .kubeletDir(work.resolve("kubelet"))
          .nodeId("demo-node")
          .clock(clock)
          .metrics(prometheus)
          .secretProviderClasses(DropInDemo.classes(api), Map.of());
      try (PassportHost host = builder.start();
          MetricsServer metrics = startMetrics(prometheus, host);
          FakeKubelet kubelet = FakeKubelet.connect(host.socket(), tokens, clock)) {
        step("Started the host on unix://%s (directory mode) with backends %s", host.socket(),
            host.backendNames());
        if (metrics != null) {
          step("Metrics: curl http://%s/metrics", hostPort(metrics.address()));
        }
        run(vault, host.counters(), kubelet, clock, work);
        dropIn(api, kubelet, work);
        step("A few of the metrics /metrics serves:");
        prometheus.scrape().lines()
            .filter(line -> line.startsWith("passport_") && !line.contains("_bucket"))
            .filter(line -> line.contains("backend=\"vault\""))
            .limit(12)
            .forEach(line -> out.println("    " + line));
        if (keepRunning) {
          step("--keep-running: press Ctrl-C to stop");
          Thread.currentThread().join();
        }
      }
    } finally {
      deleteTree(work);
    }
    return 0;
  }

  private void run(VaultDevServer vault, CountingMetrics counters, FakeKubelet kubelet,
      FakeClock clock, Path work) throws IOException {
    Pod pod = Pod.of(NAMESPACE, "web-0", UUID.randomUUID().toString(), SERVICE_ACCOUNT);
    Map<String, String> attributes = Map.of(
        "backend", "vault",
        "roleName", ROLE,
        "objects", OBJECTS);
    PodVolume spec = PodVolume.of(pod, "secrets", work.resolve("kubelet"), attributes, Set.of("vault"));

    MountedVolume volume = kubelet.mount(spec);
    step("Published volume %s for pod %s/%s: kubelet sent the pod's own token for audience \"vault\"",
        volume.volumeId(), pod.namespace(), pod.name());
    printFiles(volume);
    counts(vault, counters);

    clock.advance(Duration.ofSeconds(75));
    kubelet.republish(volume);
    step("Republished 75 s later (kubelet's cadence): answered from the cache");
    counts(vault, counters);

    vault.kvPut("secret", "app/db", Map.of("username", "app", "password", "rotated-password"));
    step("Rotated the password in Vault; advancing the clock 6 minutes past the 5 minute refresh interval");
    clock.advance(Duration.ofMinutes(6));
    kubelet.republish(volume);
    step("Republished: the material was due, so the host fetched it and swapped it in atomically");
    printFiles(volume);
    counts(vault, counters);

    kubelet.unmount(volume);
    step("Unpublished: %s exists: %s", volume.targetPath(), Files.exists(volume.targetPath()));
  }

  /** Drop-in for secrets-store-csi-driver (issue 19): a volume that names only its SecretProviderClass. */
  private void dropIn(EmbeddedApiServer api, FakeKubelet kubelet, Path work) throws IOException {
    Pod pod = Pod.of(NAMESPACE, "web-1", UUID.randomUUID().toString(), SERVICE_ACCOUNT);
    int before = api.requests();
    PodVolume spec = PodVolume.of(pod, "secrets", work.resolve("kubelet"),
        Map.of("secretProviderClass", "app-db"), Set.of("vault"));
    MountedVolume volume = kubelet.mount(spec);
    step("Drop-in for secrets-store-csi-driver: published a volume of pod %s/%s whose only attribute"
        + " is secretProviderClass: app-db; the host read SecretProviderClass %s/app-db (provider vault)"
        + " from an embedded API server", pod.namespace(), pod.name(), NAMESPACE);
    printFiles(volume);
    kubelet.republish(volume);
    step("Republished: Kubernetes API requests during both calls: %d (the informer answers from memory)",
        api.requests() - before);
    kubelet.unmount(volume);
  }

  private void printFiles(MountedVolume volume) {
    volume.readAll().forEach((name, content) -> out.printf("    %s = %s%n", name, content));
  }

  private void counts(VaultDevServer vault, CountingMetrics counters) {
    out.printf("    cache hits %d, misses %d, unchanged writes skipped %d | Vault logins %d, reads %d%n",
        counters.sum("cache_hit{"), counters.sum("cache_miss{"), counters.sum("write_skipped{"),
        vault.logins(), vault.reads());
  }

  private void step(String format, Object... args) {
    out.printf("==> " + format + "%n", args);
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
