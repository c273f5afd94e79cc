package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.AUDIENCE;
import static dev.passport.plugins.gcp.GcpTestbed.secretsAttribute;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.support.KubernetesAccess;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.HostRuntime;
import dev.passport.testkit.LogCapture;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.testkit.Pods;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged plugin directory ({@code target/plugin}, built by {@code package}) loaded by the real
 * host through its isolated class loader, next to another plugin: the plugin runs on its own gRPC
 * and protobuf while the host (inside the self-contained plugin-conformance jar, its libraries
 * relocated) runs its own newer ones. Runs with failsafe after {@code package}.
 */
class GcpPluginDirectoryIT {

  static final Path PACKAGED_PLUGIN = Path.of("target", "plugin");
  static final String PINNED = "projects/test-project/secrets/db-password/versions/3";

  @TempDir Path dir;
  @RegisterExtension final LogCapture logs = new LogCapture();
  GcpTestbed bed;
  KubernetesMockServer api;
  PassportHost host;
  FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    assertThat(PACKAGED_PLUGIN.resolve("plugin.properties"))
        .as("the packaged plugin directory; run mvn verify, which packages before this test")
        .exists();
    bed = new GcpTestbed(dir);
    bed.global.put(PINNED, "s3cret-db".getBytes(UTF_8));
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    copyTree(PACKAGED_PLUGIN, plugins.resolve("gcp"));
    buildEchoPlugin(plugins.resolve("echo"));
    Path conf = Files.createDirectories(dir.resolve("conf"));
    // the annotation reader ships only fabric8's core model: read one through the packaged lib/
    api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    api.init(InetAddress.getByName("127.0.0.1"), 0);
    Map<String, String> config = new HashMap<>(bed.config());
    config.put(KubernetesAccess.SERVICE_ACCOUNT_ANNOTATIONS, "true");
    config.put(KubernetesAccess.KUBERNETES_API_SERVER, api.url("/"));
    config.put(KubernetesAccess.KUBERNETES_TOKEN_FILE,
        Files.writeString(dir.resolve("driver-token"), "driver-token").toString());
    writeProperties(conf.resolve("gcp.properties"), config);

    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .pluginsDir(plugins)
        .configDir(conf)
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .clock(bed.clock)
        .fetchTimeout(Duration.ofSeconds(20))
        .nodeId("node-1")
        .start();
    kubelet = FakeKubelet.connect(host.socket(), bed.tokens, bed.clock);
  }

  @AfterEach
  void stop() throws Exception {
    if (kubelet != null) {
      kubelet.close();
    }
    if (host != null) {
      host.close();
    }
    if (api != null) {
      api.destroy();
    }
    bed.close();
  }

  @Test
  void packagedPlugin_nextToAnotherPlugin_servesVolumesOnItsOwnGrpcAndProtobuf() throws Exception {
    try (KubernetesClient admin = api.createClient()) {
      admin.serviceAccounts().inNamespace("shop").resource(new ServiceAccountBuilder()
          .withNewMetadata().withNamespace("shop").withName("web")
          .withAnnotations(Map.of(ServiceAccountAnnotations.GCP_SERVICE_ACCOUNT,
              GcpTestbed.SERVICE_ACCOUNT)).endMetadata().build()).create();
    }
    Map<String, String> gcp = new HashMap<>(secretsAttribute(PINNED, "db/password"));
    gcp.put("backend", "gcp");
    MountedVolume secrets = kubelet.mount(PodVolume.of(Pods.pod("shop", "web-0", "web"), "secrets",
        dir.resolve("kubelet"), gcp, Set.of(AUDIENCE)));
    MountedVolume echo = kubelet.mount(PodVolume.of(Pods.pod("shop", "web-1", "web"), "echo",
        dir.resolve("kubelet"), Map.of("backend", "echo", "text", "hello"), Set.of()));

    assertThat(host.backendNames()).contains("gcp", "echo");
    assertThat(secrets.read("db/password")).isEqualTo("s3cret-db");
    assertThat(echo.read("text")).isEqualTo("hello");
    assertThat(bed.auth.impersonations()).as("the KSA annotation, read through the packaged lib/")
        .singleElement().satisfies(call ->
            assertThat(call.serviceAccount()).isEqualTo(GcpTestbed.SERVICE_ACCOUNT));
    assertThat(echo.read("protobuf")).as("the host's protobuf is not visible to a plugin")
        .isEqualTo("none");

    String pluginGrpc = bundledVersion("grpc-api-");
    String pluginProtobuf = bundledVersion("protobuf-java-");
    String hostGrpc = HostRuntime.grpcVersion();
    assertThat(pluginGrpc).as("the test needs the host and the plugin on different gRPC")
        .isNotEqualTo(hostGrpc);
    assertThat(logs.lines()).as("the gcp plugin's startup line")
        .anyMatch(line -> line.contains("gRPC " + pluginGrpc)
            && line.contains("protobuf " + pluginProtobuf));
  }

  /** The version of the jar in the packaged lib/ whose name starts with {@code prefix}. */
  private static String bundledVersion(String prefix) throws IOException {
    try (Stream<Path> jars = Files.list(PACKAGED_PLUGIN.resolve("lib"))) {
      List<String> names = jars.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(prefix) && Character.isDigit(n.charAt(prefix.length())))
          .toList();
      assertThat(names).as("jars named %s* in %s/lib", prefix, PACKAGED_PLUGIN).hasSize(1);
      String name = names.get(0);
      return name.substring(prefix.length(), name.length() - ".jar".length());
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path source : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
  }

  /** A pf4j plugin directory whose one jar holds {@link EchoBackendFactory} and its services file. */
  private static void buildEchoPlugin(Path directory) throws IOException, URISyntaxException {
    Files.createDirectories(directory.resolve("lib"));
    Files.writeString(directory.resolve("plugin.properties"),
        "plugin.id=echo\nplugin.version=1.0.0\nplugin.provider=test\n");
    Path classes = Path.of(EchoBackendFactory.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    String packagePath = EchoBackendFactory.class.getPackageName().replace('.', '/');
    try (OutputStream out = Files.newOutputStream(directory.resolve("lib").resolve("echo.jar"));
        JarOutputStream jar = new JarOutputStream(out);
        Stream<Path> files = Files.list(classes.resolve(packagePath))) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (name.startsWith("EchoBackendFactory")) {
          jar.putNextEntry(new JarEntry(packagePath + "/" + name));
          jar.write(Files.readAllBytes(file));
          jar.closeEntry();
        }
      }
      jar.putNextEntry(new JarEntry("META-INF/services/dev.passport.api.BackendFactory"));
      jar.write((EchoBackendFactory.class.getName() + "\n").getBytes(UTF_8));
      jar.closeEntry();
    }
  }

  private static void writeProperties(Path file, Map<String, String> values) throws IOException {
    Properties properties = new Properties();
    properties.putAll(values);
    try (OutputStream out = Files.newOutputStream(file)) {
      properties.store(out, "gcp plugin configuration for " + GcpPluginDirectoryIT.class.getName());
    }
  }
}
