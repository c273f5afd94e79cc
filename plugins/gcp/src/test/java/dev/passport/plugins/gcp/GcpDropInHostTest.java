package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.AUDIENCE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.k8s.KubernetesAccess;
import dev.passport.host.k8s.SecretProviderClassException;
import dev.passport.host.k8s.SecretProviderClasses;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drop-in mode (issue 19) with the gcp backend: provider-gcp's own SecretProviderClasses
 * ({@code examples/*.yaml.tmpl} and {@code test/e2e/templates/}, with {@code $PROJECT_ID} =
 * test-project, {@code $LOCATION_ID} = us-central1, {@code $TEST_SECRET_ID} = csi-test) served by
 * fabric8's mock API server in CRUD mode with secrets-store-csi-driver's CRD, read by the host's
 * informer ({@code --secret-provider-classes --kubeconfig}: {@link KubernetesAccess}), and pods whose
 * volumes name them, published through the real host over the CSI socket against the fake STS, IAM
 * Credentials and Secret Manager of {@link GcpProviderExamplesHostTest}. A class's volume gets the
 * same files (names, bytes, modes) as the same parameters given inline. One host and one API
 * server serve every test; counts are compared before and after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcpDropInHostTest {

  static final String NAMESPACE = "shop";
  static final String DRIVER_TOKEN = "driver-sa-token-for-the-api-server";
  static final String TESTSECRET = GcpProviderExamplesHostTest.TESTSECRET;
  static final String TESTSECRET_V1 = "projects/test-project/secrets/testsecret/versions/1";
  static final String TESTSECRET_JSON = "{\"user\":\"alice\",\"password\":\"pw\"}";

  /** examples/app-secrets.yaml.tmpl */
  static final String APP_SECRETS = """
      - resourceName: "projects/test-project/secrets/testsecret/versions/latest"
        path: "good1.txt"
      - resourceName: "projects/test-project/secrets/testsecret/versions/latest"
        path: "good2.txt"
      """;
  /** examples/app-secrets-with-extract-key.yaml.tmpl */
  static final String APP_SECRETS_WITH_EXTRACT_KEY = """
      - resourceName: "projects/test-project/secrets/testsecret/versions/latest"
        path: "good1.txt"
        extractJSONKey: "user"
      - resourceName: "projects/test-project/locations/us-central1/secrets/testsecret/versions/latest"
        path: "good2.txt"
        extractJSONKey: "user"
      """;
  /** test/e2e/templates/test-mode.yaml.tmpl */
  static final String TEST_MODE = """
      - resourceName: "projects/test-project/secrets/csi-test/versions/latest"
        path: "csi-test"
        mode: 0400
      - resourceName: "projects/test-project/locations/us-central1/secrets/csi-test/versions/latest"
        path: "csi-test-regional"
        mode: 0400
      """;
  /** test/e2e/templates/test-nested.yaml.tmpl */
  static final String TEST_NESTED = """
      - resourceName: "projects/test-project/secrets/csi-test/versions/latest"
        path: "my/nested/path/csi-test"
      """;

  /** secrets-store-csi-driver's CRD, as its chart installs it. */
  static final ResourceDefinitionContext SPC = new CustomResourceDefinitionContext.Builder()
      .withGroup("secrets-store.csi.x-k8s.io")
      .withVersion("v1")
      .withKind("SecretProviderClass")
      .withPlural("secretproviderclasses")
      .withScope("Namespaced")
      .build();

  // static: one directory for the class-wide host (an instance @TempDir is replaced per test)
  @TempDir static Path dir;
  GcpTestbed bed;
  KubernetesMockServer api;
  KubernetesClient admin;
  /** The driver's requests other than watches: lists and gets, what a publish could cost. */
  final AtomicInteger driverRequests = new AtomicInteger();
  final AtomicInteger driverWatches = new AtomicInteger();
  SecretProviderClasses classes;
  PassportHost host;
  FakeKubelet kubelet;

  @BeforeAll
  void start() throws Exception {
    bed = new GcpTestbed(dir);
    bed.global.put(GcpProviderExamplesHostTest.SECRET, "projects/123/secrets/csi-test/versions/1",
        "global-v1".getBytes(UTF_8));
    bed.regional.put(GcpProviderExamplesHostTest.REGIONAL_SECRET,
        "projects/123/locations/us-central1/secrets/csi-test/versions/1", "regional-v1".getBytes(UTF_8));
    bed.global.put(TESTSECRET, "projects/123/secrets/testsecret/versions/2", TESTSECRET_JSON.getBytes(UTF_8));
    bed.global.put(TESTSECRET_V1, "projects/123/secrets/testsecret/versions/1",
        "{\"user\":\"alice-v1\"}".getBytes(UTF_8));
    bed.regional.put(GcpProviderExamplesHostTest.REGIONAL_TESTSECRET,
        "projects/123/locations/us-central1/secrets/testsecret/versions/1",
        "{\"user\":\"regional-alice\"}".getBytes(UTF_8));

    api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(List.of((CustomResourceDefinitionContext) SPC)) {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (("Bearer " + DRIVER_TOKEN).equals(request.getHeader("Authorization"))) {
              (request.getPath().contains("watch=true") ? driverWatches : driverRequests)
                  .incrementAndGet();
            }
            return super.dispatch(request);
          }
        }, false);
    api.init(InetAddress.getByName("127.0.0.1"), 0);
    admin = api.createClient();
    apply("app-secrets", APP_SECRETS);
    apply("app-secrets-with-extract-key", APP_SECRETS_WITH_EXTRACT_KEY);
    apply("gcp-test-secrets", TEST_MODE);
    apply("gcp-test-secrets-nested", TEST_NESTED);

    // what --kubeconfig FILE reads for a local run: the driver's identity on the mock server
    Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: http://127.0.0.1:%d
        users:
        - name: driver
          user:
            token: %s
        contexts:
        - name: mock
          context:
            cluster: mock
            user: driver
        current-context: mock
        """.formatted(api.getPort(), DRIVER_TOKEN));
    classes = KubernetesAccess.secretProviderClasses(Optional.of(kubeconfig), Map.of(),
        Duration.ofSeconds(30));
    awaitParameter("gcp-test-secrets-nested", "my/nested/path");

    host = bed.host(dir)
        .secretProviderClasses(classes, Map.of())
        .start();
    kubelet = FakeKubelet.connect(host.socket(), bed.tokens, bed.clock);
  }

  @AfterAll
  void stop() throws Exception {
    if (kubelet != null) {
      kubelet.close();
    }
    if (host != null) {
      host.close(); // closes the informer it was given
    }
    if (admin != null) {
      admin.close();
    }
    if (api != null) {
      api.destroy();
    }
    assertThat(bed.auth.problems()).isEmpty();
    bed.close();
  }

  @Test
  void appSecrets_fromTheClass_areTheInlineVolumesFiles() {
    Map<String, String> fromClass = tree(mountClass("spc-app", "app-secrets"));

    assertThat(fromClass).isEqualTo(tree(mountInline("inline-app", APP_SECRETS)))
        .containsOnlyKeys("good1.txt", "good2.txt")
        .containsEntry("good1.txt", "rw-r--r-- " + hex(TESTSECRET_JSON));
  }

  @Test
  void appSecretsWithExtractKey_globalAndRegional_fromTheClass_areTheInlineVolumesFiles() {
    Map<String, String> fromClass = tree(mountClass("spc-extract", "app-secrets-with-extract-key"));

    assertThat(fromClass)
        .isEqualTo(tree(mountInline("inline-extract", APP_SECRETS_WITH_EXTRACT_KEY)))
        .containsEntry("good1.txt", "rw-r--r-- " + hex("alice"))
        .containsEntry("good2.txt", "rw-r--r-- " + hex("regional-alice"));
  }

  @Test
  void e2eTestMode_0400_fromTheClass_isTheInlineVolumesModes() {
    Map<String, String> fromClass = tree(mountClass("spc-mode", "gcp-test-secrets"));

    assertThat(fromClass).isEqualTo(tree(mountInline("inline-mode", TEST_MODE)))
        .containsEntry("csi-test", "r-------- " + hex("global-v1"))
        .containsEntry("csi-test-regional", "r-------- " + hex("regional-v1"));
  }

  @Test
  void e2eTestNested_fromTheClass_isTheInlineVolumesTree() {
    Map<String, String> fromClass = tree(mountClass("spc-nested", "gcp-test-secrets-nested"));

    assertThat(fromClass).isEqualTo(tree(mountInline("inline-nested", TEST_NESTED)))
        .containsOnlyKeys("my/", "my/nested/", "my/nested/path/", "my/nested/path/csi-test");
  }

  @Test
  void twentyRepublishes_costNoKubernetesApiCall_andTheInlineVolumesBackendCalls() {
    MountedVolume fromClass = mountClass("spc-quiet", "app-secrets");
    MountedVolume inline = mountInline("inline-quiet", APP_SECRETS);
    int requests = driverRequests.get();
    int reads = bed.global.totalCalls();
    int exchanges = bed.auth.exchanges().size();

    for (int i = 0; i < 20; i++) {
      kubelet.republish(fromClass);
    }
    int classReads = bed.global.totalCalls() - reads;
    int classExchanges = bed.auth.exchanges().size() - exchanges;
    for (int i = 0; i < 20; i++) {
      kubelet.republish(inline);
    }
    int inlineReads = bed.global.totalCalls() - reads - classReads;
    int inlineExchanges = bed.auth.exchanges().size() - exchanges - classExchanges;

    // the informer's watch stays open and is not per publish: only lists and gets count
    assertThat(driverRequests).hasValue(requests);
    // nothing is due within the refresh interval: a republish is a cache hit, either way
    assertThat(classReads).isEqualTo(inlineReads).isZero();
    assertThat(classExchanges).isEqualTo(inlineExchanges).isZero();
  }

  @Test
  void classUpdate_pinningAnotherSecretVersion_isReadAtTheNextRepublish() throws Exception {
    String secrets = """
        - resourceName: "projects/test-project/secrets/testsecret/versions/latest"
          path: "good1.txt"
        """;
    apply("changing", secrets);
    awaitParameter("changing", "versions/latest");
    MountedVolume volume = mountClass("spc-changing", "changing");
    assertThat(volume.read("good1.txt")).isEqualTo(TESTSECRET_JSON);
    int pinnedReads = bed.global.calls(TESTSECRET_V1);

    apply("changing", secrets.replace("versions/latest", "versions/1"));
    awaitParameter("changing", "versions/1");
    kubelet.republish(volume);

    assertThat(volume.read("good1.txt")).isEqualTo("{\"user\":\"alice-v1\"}");
    assertThat(bed.global.calls(TESTSECRET_V1)).isEqualTo(pinnedReads + 1);
  }

  private MountedVolume mountClass(String volumeName, String className) {
    return mount(volumeName, Map.of("secretProviderClass", className));
  }

  private MountedVolume mountInline(String volumeName, String secrets) {
    return mount(volumeName, Map.of("backend", "gcp", GcpVolume.SECRETS, secrets));
  }

  private MountedVolume mount(String volumeName, Map<String, String> attributes) {
    return kubelet.mount(PodVolume.of(bed.pod(), volumeName, dir.resolve("kubelet"), attributes,
        Set.of(AUDIENCE)));
  }

  /** Creates or replaces the class, as {@code kubectl apply} of provider-gcp's template would. */
  private void apply(String name, String secrets) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("provider", "gcp");
    spec.put("parameters", Map.of("secrets", secrets));
    GenericKubernetesResource resource = new GenericKubernetesResourceBuilder()
        .withApiVersion("secrets-store.csi.x-k8s.io/v1")
        .withKind("SecretProviderClass")
        .withNewMetadata().withNamespace(NAMESPACE).withName(name).endMetadata()
        .addToAdditionalProperties("spec", spec)
        .build();
    admin.genericKubernetesResources(SPC).inNamespace(NAMESPACE).resource(resource)
        .createOr(existing -> existing.update());
  }

  /** Waits (bounded) until the host's informer holds the class with {@code fragment} in its secrets. */
  private void awaitParameter(String name, String fragment) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!hasParameter(name, fragment)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the informer did not deliver " + name + " within 30 s");
      }
      Thread.sleep(5);
    }
  }

  private boolean hasParameter(String name, String fragment) {
    try {
      return classes.find(NAMESPACE, name)
          .map(c -> c.parameters().getOrDefault("secrets", "").contains(fragment)).orElse(false);
    } catch (SecretProviderClassException e) {
      return false; // not listed yet
    }
  }

  /**
   * What a container sees below the volume, by path: "mode hex-bytes" for a file, the mode alone
   * for a directory (name ending in /); the atomic writer's own entries ({@code ..}*) left out.
   */
  private static Map<String, String> tree(MountedVolume volume) {
    Path root = volume.targetPath();
    Map<String, String> tree = new TreeMap<>();
    try (var top = Files.list(root)) {
      for (Path entry : top.filter(p -> !p.getFileName().toString().startsWith("..")).toList()) {
        try (var walk = Files.walk(entry, FileVisitOption.FOLLOW_LINKS)) {
          for (Path p : walk.toList()) {
            String name = root.relativize(p).toString();
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
            if (Files.isDirectory(p)) {
              tree.put(name + "/", mode);
            } else {
              tree.put(name, mode + " " + HexFormat.of().formatHex(Files.readAllBytes(p)));
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tree;
  }

  private static String hex(String text) {
    return HexFormat.of().formatHex(text.getBytes(UTF_8));
  }
}
