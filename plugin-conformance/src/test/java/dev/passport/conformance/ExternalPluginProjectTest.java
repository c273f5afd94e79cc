package dev.passport.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.passport.api.Pod;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.InvalidTokenException;
import dev.passport.testkit.Pods;

/**
 * Issue 4's "done when": a plugin written in a separate Maven project
 * ({@code examples/token-exchange-plugin}, no parent from this reactor) compiles against
 * plugin-api, tests with plugin-testkit and plugin-conformance (the shaded jar, the host inside),
 * passes {@link BackendConformance} in its own build, and the plugin directory that build
 * packages is loaded by a real host and serves a volume.
 *
 * <p>The external build cannot see this reactor, and {@code mvn verify} installs nothing, so it
 * gets a local repository of its own: this reactor's artifacts (the poms, and the jars from
 * {@code target/}) and, for everything else, the reactor's local repository as a {@code file://} remote,
 * which this build has mostly filled already (Maven Central behind it for the rest). Skipped with
 * a reason when {@code mvn} is missing, the reactor's jars are not built, the build cannot download
 * what it needs (offline), or with {@code -Dpassport.skipExternalBuild=true}.
 */
class ExternalPluginProjectTest {

  private static final String VERSION = "0.1.0-SNAPSHOT";
  private static final String EXAMPLE = "examples/token-exchange-plugin";
  private static final String AUDIENCE = "sts";
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(10);
  private static final Pattern RESOLUTION_FAILURE = Pattern.compile(
      "Could not transfer artifact|Could not resolve dependencies|could not be resolved"
          + "|Non-resolvable parent POM");

  @Test
  void externalExample_buildsPassesConformanceAndItsPluginDirectoryServesAVolume(
      @TempDir Path work) throws Exception {
    Assumptions.assumeFalse(Boolean.getBoolean("passport.skipExternalBuild"),
        "-Dpassport.skipExternalBuild=true");
    Path root = Path.of("").toAbsolutePath().getParent();
    Assumptions.assumeTrue(Files.isDirectory(root.resolve(EXAMPLE)), "no " + EXAMPLE + " under "
        + root + "; run the test from the plugin-conformance module directory");
    Path mvn = onPath("mvn");
    Path reactorRepository = reactorRepository();
    Path repository = work.resolve("repository");
    installReactorArtifacts(root, reactorRepository, repository, work);
    Path project = copyTree(root.resolve(EXAMPLE), work.resolve("project"));

    build(mvn, project, repository, settingsReading(reactorRepository, work), work);

    assertThat(Files.readString(project.resolve("target/surefire-reports/"
        + "TEST-dev.passport.examples.tokenexchange.TokenExchangeConformanceTest.xml")))
        .as("the conformance suite ran in the external build, every case passing")
        // 19: the 16 cases before issue 13, the production-logging run in TEXT and JSON, and the
        // token-rotation check of issue 15, skipped here: the example's access tokens are due (at
        // 2/3 of their hour) before kubelet rotates the pod's tokens (at 48 minutes)
        .contains("tests=\"19\"", "failures=\"0\"", "errors=\"0\"", "skipped=\"1\"");
    Path plugin = project.resolve("target/plugin");
    assertThat(list(plugin.resolve("lib")))
        .as("plain jars: the plugin and its own libraries; neither plugin-api, the testkit,"
            + " the conformance suite nor the host")
        .contains("passport-plugin-token-exchange-1.0.0-SNAPSHOT.jar",
            "jackson-databind-2.23.0.jar")
        .noneMatch(jar -> jar.startsWith("plugin-api") || jar.startsWith("plugin-testkit")
            || jar.startsWith("plugin-conformance") || jar.startsWith("host"));

    publishThroughTheLoadedPlugin(plugin, work);
  }

  /** The packaged directory, loaded as the driver loads it, its config from the environment. */
  private static void publishThroughTheLoadedPlugin(Path plugin, Path work) throws Exception {
    Path pluginsDir = work.resolve("plugins");
    copyTree(plugin, pluginsDir.resolve("token-exchange"));
    Path configDir = Files.createDirectories(work.resolve("conf"));
    Files.writeString(configDir.resolve("token-exchange.properties"),
        "tokenUrl=${ENV:STS_URL}\naudience=" + AUDIENCE + "\n", UTF_8);
    FakeClock clock = FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    ServiceAccountTokens tokens = ServiceAccountTokens.create();
    HttpServer sts = tokenEndpoint(tokens, clock);
    try (PassportHost host = PassportHost.builder()
            .socket(work.resolve("csi.sock"))
            .stateDir(work.resolve("state"))
            .pluginsDir(pluginsDir)
            .configDir(configDir)
            .environment(Map.of("STS_URL",
                "http://127.0.0.1:" + sts.getAddress().getPort() + "/token"))
            .mountMode(MountMode.DIRECTORY)
            .kubeletDir(work.resolve("kubelet"))
            .clock(clock)
            .start();
        FakeKubelet kubelet = FakeKubelet.connect(host.socket(), tokens, clock)) {
      assertThat(host.backendNames()).contains("token-exchange");
      Pod pod = Pods.pod("shop", "checkout-0", "checkout");

      MountedVolume volume = kubelet.mount(PodVolume.of(pod, "registry", work.resolve("kubelet"),
          Map.of("backend", "token-exchange", "file", "registry-token"), Set.of(AUDIENCE)));

      assertThat(volume.readAll()).containsOnlyKeys("registry-token");
      assertThat(volume.read("registry-token"))
          .isEqualTo("exchanged-for-system:serviceaccount:shop:checkout");
      assertThatThrownBy(() -> Class.forName(
          "dev.passport.examples.tokenexchange.TokenExchangeBackendFactory"))
          .as("the plugin's classes live in its own class loader only")
          .isInstanceOf(ClassNotFoundException.class);
      kubelet.unmount(volume);
      assertThat(volume.targetPath()).doesNotExist();
    } finally {
      sts.stop(0);
    }
  }

  private static void build(Path mvn, Path project, Path repository, Path settings, Path work)
      throws IOException, InterruptedException {
    Path log = work.resolve("build.log");
    Process process = new ProcessBuilder(mvn.toString(), "-B", "-q", "-s", settings.toString(),
        "-Dmaven.repo.local=" + repository, "-f", project.resolve("pom.xml").toString(), "verify")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    if (!process.waitFor(BUILD_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("the external build took over " + BUILD_TIMEOUT + ":\n" + tail(log));
    }
    if (process.exitValue() != 0) {
      String output = tail(log);
      // offline, with this build's dependencies not all fetched yet: not the example's fault
      Assumptions.assumeFalse(RESOLUTION_FAILURE.matcher(output).find(),
          "the external build could not download what it needs:\n" + output);
      throw new AssertionError("mvn verify failed in " + project + ":\n" + output);
    }
  }

  /**
   * What {@code mvn install} would have put there: the parents' poms, and each module's pom and
   * jar. This test runs after package (failsafe), so plugin-conformance's jar is the shaded one a
   * plugin author gets; the testkit's jar may be missing when only its classes were built.
   */
  private static void installReactorArtifacts(Path root, Path reactorRepository, Path repository,
      Path work) throws IOException {
    install(repository, "passport-build-parent", root.resolve("build-parent/pom.xml"),
        Optional.empty());
    install(repository, "passport-parent", root.resolve("pom.xml"), Optional.empty());
    for (String module : List.of("plugin-api", "plugin-support", "plugin-conformance")) {
      Path built = root.resolve(module + "/target/" + module + "-" + VERSION + ".jar");
      Path installed = artifactDirectory(reactorRepository, module)
          .resolve(module + "-" + VERSION + ".jar");
      Path jar = Files.exists(built) ? built : installed;
      Assumptions.assumeTrue(Files.exists(jar), "neither " + built + " nor " + installed
          + " exists; build the reactor first (mvn verify from " + root + ")");
      install(repository, module, root.resolve(module + "/pom.xml"), Optional.of(jar));
    }
    Path testkitBuilt = root.resolve("plugin-testkit/target/plugin-testkit-" + VERSION + ".jar");
    Path testkitJar = Files.exists(testkitBuilt) ? testkitBuilt
        : jar(root.resolve("plugin-testkit/target/classes"), work.resolve("plugin-testkit.jar"));
    install(repository, "plugin-testkit", root.resolve("plugin-testkit/pom.xml"),
        Optional.of(testkitJar));
  }

  private static void install(Path repository, String artifactId, Path pom, Optional<Path> jar)
      throws IOException {
    Path directory = Files.createDirectories(artifactDirectory(repository, artifactId));
    Files.copy(pom, directory.resolve(artifactId + "-" + VERSION + ".pom"));
    if (jar.isPresent()) {
      Files.copy(jar.get(), directory.resolve(artifactId + "-" + VERSION + ".jar"));
    }
  }

  private static Path artifactDirectory(Path repository, String artifactId) {
    return repository.resolve("dev/passport").resolve(artifactId).resolve(VERSION);
  }

  /**
   * Releases come from the reactor's repository first; Maven Central stays behind it for what this
   * build has not fetched yet (maven-dependency-plugin, which the reactor first uses after the
   * testkit). Snapshots never come from there: the reactor's must be the ones from {@code target/}.
   */
  private static Path settingsReading(Path reactorRepository, Path work) throws IOException {
    String repository = """
            <id>reactor-local-repository</id>
            <url>%s</url>
            <releases><enabled>true</enabled></releases>
            <snapshots><enabled>false</enabled></snapshots>
        """.formatted(reactorRepository.toUri());
    return Files.writeString(work.resolve("settings.xml"), """
        <settings>
          <profiles>
            <profile>
              <id>reactor-local-repository</id>
              <repositories><repository>%1$s</repository></repositories>
              <pluginRepositories><pluginRepository>%1$s</pluginRepository></pluginRepositories>
            </profile>
          </profiles>
          <activeProfiles><activeProfile>reactor-local-repository</activeProfile></activeProfiles>
        </settings>
        """.formatted(repository), UTF_8);
  }

  /** Where this build's dependencies are: surefire passes it on as {@code localRepository}. */
  private static Path reactorRepository() {
    String configured = System.getProperty("maven.repo.local",
        System.getProperty("localRepository"));
    Path repository = configured != null ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".m2", "repository");
    Assumptions.assumeTrue(Files.isDirectory(repository), "no local Maven repository at "
        + repository);
    return repository;
  }

  private static Path onPath(String command) {
    for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(directory, command);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return Assumptions.abort(command + " is not on the PATH; the external build needs Maven");
  }

  /** An RFC 8693 endpoint: the pod's verified token in, {@code exchanged-for-<subject>} out. */
  private static HttpServer tokenEndpoint(ServiceAccountTokens tokens, FakeClock clock)
      throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/token", exchange -> {
      try (exchange) {
        String form = new String(exchange.getRequestBody().readAllBytes(), UTF_8);
        String subjectToken = Stream.of(form.split("&"))
            .filter(pair -> pair.startsWith("subject_token="))
            .map(pair -> URLDecoder.decode(pair.substring("subject_token=".length()), UTF_8))
            .findFirst().orElse("");
        try {
          String subject = tokens.verify(subjectToken, AUDIENCE, clock.instant()).subject();
          answer(exchange, 200,
              "{\"access_token\":\"exchanged-for-" + subject + "\",\"expires_in\":3600}");
        } catch (InvalidTokenException e) {
          answer(exchange, 400, "{\"error\":\"invalid_grant\"}");
        }
      }
    });
    server.start();
    return server;
  }

  private static void answer(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(UTF_8);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static Path jar(Path classes, Path jar) throws IOException {
    Assumptions.assumeTrue(Files.isDirectory(classes), "no " + classes + "; compile the testkit");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
        Files.copy(file, out);
        out.closeEntry();
      }
    }
    return jar;
  }

  private static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Path relative = from.relativize(path);
        if (relative.startsWith("target")) {
          continue; // a developer's earlier build of the example must not be reused
        }
        Path target = to.resolve(relative.toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else {
          Files.copy(path, target);
        }
      }
    }
    return to;
  }

  private static List<String> list(Path directory) {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(file -> file.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
  }
}
