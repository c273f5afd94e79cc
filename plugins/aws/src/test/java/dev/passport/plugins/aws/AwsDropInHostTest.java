package dev.passport.plugins.aws;

import dev.passport.tools.aws.FakeAws;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.k8s.KubernetesAccess;
import dev.passport.host.k8s.SecretProviderClassException;
import dev.passport.host.k8s.SecretProviderClasses;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drop-in mode with the aws backend: provider-aws's own SecretProviderClasses
 * ({@code examples/ExampleSecretProviderClass-IRSA.yaml}, {@code -PodIdentity.yaml},
 * {@code tests/BasicTestMountSPC.yaml} with REGION us-east-1, FAILOVERREGION us-east-2, account
 * 111122223333), served by fabric8's mock API server with secrets-store-csi-driver's CRD and read
 * by the host's informer, for volumes of driver {@code secrets-store.csi.k8s.io} that name them:
 * {@code spec.provider: aws} selects backend aws, the IRSA role comes from the service account's
 * annotation (serviceAccountAnnotations=true) as in provider-aws, and the files are the ones
 * provider-aws documents, identical to the same parameters given inline.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AwsDropInHostTest {

  static final String NAMESPACE = "default";
  static final String DRIVER_TOKEN = "driver-sa-token-for-the-mock-api-server";
  static final String ROLE = "arn:aws:iam::111122223333:role/nginx-deployment-role";
  static final String MY_SECRET = "{\"username\":\"memeuser\", \"password\":\"hunter2\"}";

  /** examples/ExampleSecretProviderClass-IRSA.yaml */
  static final Map<String, String> IRSA = Map.of("objects", """
          - objectName: "MySecret"
            objectType: "secretsmanager"
      """, "region", "us-east-1");
  /** examples/ExampleSecretProviderClass-PodIdentity.yaml */
  static final Map<String, String> POD_IDENTITY = Map.of("objects", """
        - objectName: "MySecret"
          objectType: "secretsmanager"
      """, "usePodIdentity", "true", "region", "us-east-1");
  /** tests/BasicTestMountSPC.yaml (its rotation and sync objects left out) */
  static final Map<String, String> BASIC = Map.of("region", "us-east-1",
      "failoverRegion", "us-east-2", "objects", """
          - objectName: "ParameterStoreTest1"
            objectType: "ssmparameter"
          - objectName: "ParameterStoreTestWithLongName"
            objectAlias: "ParameterStoreTest2"
            objectType: "ssmparameter"
          - objectName: "SecretsManagerTest1"
            objectType: "secretsmanager"
          - objectName: arn:aws:secretsmanager:us-east-1:111122223333:secret:SecretsManagerTest2
            objectAlias: "SecretsManagerTest2"
            failoverObject:
              objectName: arn:aws:secretsmanager:us-east-2:111122223333:secret:SecretsManagerTest2
          - objectName: "jsonSsm"
            objectType: "ssmparameter"
            jmesPath:
                - Path: "username"
                  ObjectAlias: "ssmUsername"
                - Path: "password"
                  ObjectAlias: "ssmPassword"
          """);

  static final ResourceDefinitionContext SPC = new CustomResourceDefinitionContext.Builder()
      .withGroup("secrets-store.csi.x-k8s.io")
      .withVersion("v1")
      .withKind("SecretProviderClass")
      .withPlural("secretproviderclasses")
      .withScope("Namespaced")
      .build();

  @TempDir static Path dir;
  static ServiceAccountTokens tokens;
  final Pod pod = Pods.pod(NAMESPACE, "nginx-deployment-0", "nginx-deployment-sa");
  FakeClock clock;
  FakeAws aws;
  KubernetesMockServer api;
  KubernetesClient admin;
  SecretProviderClasses classes;
  PassportHost host;
  FakeKubelet kubelet;

  @BeforeAll
  void start() throws Exception {
    tokens = ServiceAccountTokens.create();
    clock = FakeClock.at(Instant.now());
    aws = new FakeAws(tokens, clock);
    aws.annotate(NAMESPACE, pod.serviceAccount(), ROLE);
    aws.trust(ROLE, pod.serviceAccountUser());
    aws.associate(pod.serviceAccountUser(), ROLE);
    aws.putSecret("us-east-1", "MySecret", MY_SECRET);
    aws.putParameter("us-east-1", "ParameterStoreTest1", "ParameterStoreTest1Value");
    aws.putParameter("us-east-1", "ParameterStoreTestWithLongName", "ParameterStoreTest2Value");
    aws.putSecret("us-east-1", "SecretsManagerTest1", "SecretsManagerTest1Value");
    aws.putSecret("us-east-1", "SecretsManagerTest2", "SecretsManagerTest2Value");
    aws.putParameter("us-east-1", "jsonSsm",
        "{\"username\":\"ParameterStoreUser\",\"password\":\"ParameterStorePassword\"}");

    api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(List.of((CustomResourceDefinitionContext) SPC)), false);
    api.init(InetAddress.getByName("127.0.0.1"), 0);
    admin = api.createClient();
    apply("nginx-irsa-deployment-aws-secrets", IRSA);
    apply("nginx-pod-identity-deployment-aws-secrets", POD_IDENTITY);
    apply("basic-test-mount-spc", BASIC);

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
    awaitClass("basic-test-mount-spc");
    awaitClass("nginx-irsa-deployment-aws-secrets");
    awaitClass("nginx-pod-identity-deployment-aws-secrets");

    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new AwsBackendFactory(), aws.configWithAnnotations(dir))
        .secretProviderClasses(classes, Map.of())
        .clock(clock)
        .fetchTimeout(Duration.ofSeconds(20))
        .nodeId("node-1")
        .start();
    kubelet = FakeKubelet.connect(host.socket(), tokens, clock);
  }

  @AfterAll
  void stop() {
    if (kubelet != null) {
      kubelet.close();
    }
    if (host != null) {
      host.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (api != null) {
      api.destroy();
    }
    if (aws != null) {
      aws.close();
    }
  }

  @Test
  void irsaExample_fromTheClass_isMySecretAsProviderAwsMountsIt() {
    Map<String, String> fromClass = tree(mountClass("spc-irsa",
        "nginx-irsa-deployment-aws-secrets", AwsVolume.IRSA_AUDIENCE));

    assertThat(fromClass).isEqualTo(tree(mountInline("inline-irsa", IRSA,
        AwsVolume.IRSA_AUDIENCE)))
        .containsOnly(Map.entry("MySecret", "rw-r--r-- " + hex(MY_SECRET)));
  }

  @Test
  void podIdentityExample_fromTheClass_isMySecretThroughTheAgent() {
    Map<String, String> fromClass = tree(mountClass("spc-pi",
        "nginx-pod-identity-deployment-aws-secrets", AwsVolume.POD_IDENTITY_AUDIENCE));

    assertThat(fromClass).isEqualTo(tree(mountInline("inline-pi", POD_IDENTITY,
        AwsVolume.POD_IDENTITY_AUDIENCE)))
        .containsOnly(Map.entry("MySecret", "rw-r--r-- " + hex(MY_SECRET)));
  }

  @Test
  void integrationSpc_fromTheClass_givesItsFileNamesAndContents() {
    Map<String, String> fromClass = tree(mountClass("spc-basic", "basic-test-mount-spc",
        AwsVolume.IRSA_AUDIENCE));

    assertThat(fromClass).isEqualTo(tree(mountInline("inline-basic", BASIC,
        AwsVolume.IRSA_AUDIENCE)))
        .containsOnly(
            Map.entry("ParameterStoreTest1", "rw-r--r-- " + hex("ParameterStoreTest1Value")),
            Map.entry("ParameterStoreTest2", "rw-r--r-- " + hex("ParameterStoreTest2Value")),
            Map.entry("SecretsManagerTest1", "rw-r--r-- " + hex("SecretsManagerTest1Value")),
            Map.entry("SecretsManagerTest2", "rw-r--r-- " + hex("SecretsManagerTest2Value")),
            Map.entry("jsonSsm", "rw-r--r-- " + hex(
                "{\"username\":\"ParameterStoreUser\",\"password\":\"ParameterStorePassword\"}")),
            Map.entry("ssmUsername", "rw-r--r-- " + hex("ParameterStoreUser")),
            Map.entry("ssmPassword", "rw-r--r-- " + hex("ParameterStorePassword")));
  }

  private MountedVolume mountClass(String volumeName, String className, String audience) {
    return mount(volumeName, Map.of("secretProviderClass", className), audience);
  }

  private MountedVolume mountInline(String volumeName, Map<String, String> parameters,
      String audience) {
    Map<String, String> attributes = new LinkedHashMap<>(parameters);
    attributes.put("backend", "aws");
    return mount(volumeName, attributes, audience);
  }

  private MountedVolume mount(String volumeName, Map<String, String> attributes,
      String audience) {
    return kubelet.mount(PodVolume.of(pod, volumeName, dir.resolve("kubelet"), attributes,
        Set.of(audience)));
  }

  private void apply(String name, Map<String, String> parameters) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("provider", "aws");
    spec.put("parameters", parameters);
    GenericKubernetesResource resource = new GenericKubernetesResourceBuilder()
        .withApiVersion("secrets-store.csi.x-k8s.io/v1")
        .withKind("SecretProviderClass")
        .withNewMetadata().withNamespace(NAMESPACE).withName(name).endMetadata()
        .addToAdditionalProperties("spec", spec)
        .build();
    admin.genericKubernetesResources(SPC).inNamespace(NAMESPACE).resource(resource)
        .createOr(existing -> existing.update());
  }

  /** Waits (bounded) until the host's informer holds the class. */
  private void awaitClass(String name) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!hasClass(name)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the informer did not deliver " + name + " within 30 s");
      }
      Thread.sleep(5);
    }
  }

  private boolean hasClass(String name) {
    try {
      return classes.find(NAMESPACE, name).isPresent();
    } catch (SecretProviderClassException e) {
      return false; // not listed yet
    }
  }

  /** What a container sees: "mode hex-bytes" per file, the atomic writer's ".." entries left out. */
  private static Map<String, String> tree(MountedVolume volume) {
    Path root = volume.targetPath();
    Map<String, String> tree = new TreeMap<>();
    try (var top = Files.list(root)) {
      for (Path entry : top.filter(p -> !p.getFileName().toString().startsWith("..")).toList()) {
        try (var walk = Files.walk(entry, FileVisitOption.FOLLOW_LINKS)) {
          for (Path p : walk.toList()) {
            String name = root.relativize(p).toString();
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
            tree.put(Files.isDirectory(p) ? name + "/" : name,
                Files.isDirectory(p) ? mode : mode + " " + HexFormat.of().formatHex(
                    Files.readAllBytes(p)));
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
