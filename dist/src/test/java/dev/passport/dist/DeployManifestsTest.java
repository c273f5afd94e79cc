package dev.passport.dist;

import static dev.passport.dist.Manifests.load;
import static dev.passport.dist.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.CSIDriverSpec;
import io.fabric8.kubernetes.api.model.storage.TokenRequest;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every manifest in deploy/ parses into typed objects and says what issue 8 and kubelet require. */
class DeployManifestsTest {

  private static final Path DEPLOY = Manifests.repositoryRoot().resolve("deploy");
  private static final String DRIVER = "passport.csi.dev";
  private static final String GCP_AUDIENCE = "PROJECT_ID.svc.id.goog";
  private static final String SOCKET_DIR = "/var/lib/kubelet/plugins/passport.csi.dev/";
  private static final String PODS_DIR = "/var/lib/kubelet/pods";

  @Test
  void everyManifest_parsesIntoTypedObjectsWithNoUnknownField() {
    List<Path> files = Manifests.manifestFiles(DEPLOY);

    assertThat(files).hasSizeGreaterThanOrEqualTo(10);
    files.forEach(file -> assertThat(load(file)).as("objects in %s", file).isNotEmpty());
  }

  @Test
  void kustomizations_listExistingFiles_andTogetherCoverEveryManifestButTheExamples() throws IOException {
    Set<Path> listed = new HashSet<>();
    for (Path kustomization : List.of(DEPLOY.resolve("kustomization.yaml"),
        DEPLOY.resolve("base/kustomization.yaml"), DEPLOY.resolve("pre-1.35/kustomization.yaml"),
        DEPLOY.resolve("dropin/kustomization.yaml"),
        DEPLOY.resolve("dropin-sync-driver/kustomization.yaml"))) {
      Map<String, Object> parsed = yaml(kustomization);
      assertThat(parsed).containsEntry("kind", "Kustomization")
          .containsEntry("apiVersion", "kustomize.config.k8s.io/v1beta1");
      for (Object resource : (List<?>) parsed.get("resources")) {
        Path path = kustomization.getParent().resolve(resource.toString()).normalize();
        assertThat(path).as("%s lists %s", kustomization, resource).exists();
        listed.add(Files.isDirectory(path) ? path.resolve("kustomization.yaml") : path);
      }
    }

    List<Path> unlisted = Manifests.manifestFiles(DEPLOY).stream()
        .filter(f -> !listed.contains(f.normalize()))
        .filter(f -> !f.startsWith(DEPLOY.resolve("examples")))
        .toList();
    assertThat(unlisted).as("manifests no kustomization applies").isEmpty();
  }

  @Test
  void csiDriver_forKubernetes135_matchesTheKubeletContract_withTokensInSecrets() {
    CSIDriver driver = only(load(DEPLOY.resolve("csidriver.yaml")), CSIDriver.class);

    assertContract(driver);
    assertThat(driver.getSpec().getServiceAccountTokenInSecrets()).isTrue();
  }

  @Test
  void csiDriver_forOlderClusters_isTheSameButForTokensInSecrets() {
    CSIDriver current = only(load(DEPLOY.resolve("csidriver.yaml")), CSIDriver.class);
    CSIDriver older = only(load(DEPLOY.resolve("pre-1.35/csidriver.yaml")), CSIDriver.class);

    assertContract(older);
    assertThat(older.getSpec().getServiceAccountTokenInSecrets()).isNull();
    older.getSpec().setServiceAccountTokenInSecrets(true);
    assertThat(Serialization.asJson(older)).isEqualTo(Serialization.asJson(current));
  }

  private static void assertContract(CSIDriver driver) {
    assertThat(driver.getApiVersion()).isEqualTo("storage.k8s.io/v1");
    assertThat(driver.getMetadata().getName()).isEqualTo(DRIVER);
    CSIDriverSpec spec = driver.getSpec();
    assertThat(spec.getAttachRequired()).isFalse();
    assertThat(spec.getPodInfoOnMount()).isTrue();
    assertThat(spec.getVolumeLifecycleModes()).containsExactly("Ephemeral");
    assertThat(spec.getRequiresRepublish()).isTrue();
    assertThat(spec.getFsGroupPolicy()).isEqualTo("File");
    assertThat(spec.getTokenRequests()).extracting(TokenRequest::getAudience)
        .containsExactly("vault", "", GCP_AUDIENCE, "sts.amazonaws.com", "pods.eks.amazonaws.com",
            "api://AzureADTokenExchange");
    // kubelet refuses expirationSeconds under 10 minutes.
    assertThat(spec.getTokenRequests()).extracting(TokenRequest::getExpirationSeconds)
        .containsOnly(3600L);
  }

  @Test
  void namespaceAndServiceAccount_allowPrivilegedPods_andMountNoDriverToken() {
    List<HasMetadata> base = loadAll(DEPLOY.resolve("base"));

    Namespace namespace = only(base, Namespace.class);
    assertThat(namespace.getMetadata().getName()).isEqualTo("passport");
    assertThat(namespace.getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "privileged");
    ServiceAccount account = only(base, ServiceAccount.class);
    assertThat(account.getAutomountServiceAccountToken()).isFalse();
    assertThat(base).allSatisfy(o -> {
      if (!(o instanceof Namespace)) {
        assertThat(o.getMetadata().getNamespace()).as("namespace of %s", o.getKind()).isEqualTo("passport");
      }
    });
  }

  @Test
  void rbac_grantsTheDriverNothing_becauseEveryCallIsMadeAsThePod() {
    List<HasMetadata> deployed = new ArrayList<>(loadAll(DEPLOY.resolve("base")));
    deployed.addAll(load(DEPLOY.resolve("csidriver.yaml")));

    assertThat(deployed).noneMatch(o -> o instanceof ClusterRole || o instanceof ClusterRoleBinding
        || o instanceof Role || o instanceof RoleBinding);
  }

  @Test
  void daemonSet_hostContainer_isPrivileged_withBidirectionalPodsDir_andTheSocketKubeletDials() {
    DaemonSet daemonSet = daemonSet();
    PodSpec pod = daemonSet.getSpec().getTemplate().getSpec();
    Container passport = container(pod, "passport");

    assertThat(passport.getSecurityContext().getPrivileged()).isTrue();
    VolumeMount pods = mount(passport, PODS_DIR);
    assertThat(pods.getMountPropagation()).isEqualTo("Bidirectional");
    assertThat(hostPath(pod, pods.getName())).isEqualTo(PODS_DIR);
    assertThat(arg(passport, "--endpoint")).isEqualTo("unix:///csi/csi.sock");
    assertThat(hostPath(pod, mount(passport, "/csi").getName())).isEqualTo(SOCKET_DIR);
    assertThat(daemonSet.getSpec().getSelector().getMatchLabels())
        .isEqualTo(daemonSet.getSpec().getTemplate().getMetadata().getLabels());
  }

  @Test
  void daemonSet_hostContainer_servesFromTheImage_withConfigStateAndNodeName() {
    PodSpec pod = daemonSet().getSpec().getTemplate().getSpec();
    Container passport = container(pod, "passport");

    assertThat(passport.getArgs().get(0)).isEqualTo("serve");
    assertThat(arg(passport, "--plugins-dir")).isEqualTo("/opt/passport/plugins");
    assertThat(arg(passport, "--config-dir")).isEqualTo("/etc/passport");
    assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals(mount(passport, "/etc/passport").getName()))
        .singleElement().satisfies(v -> assertThat(v.getConfigMap().getName())
            .isEqualTo(only(loadAll(DEPLOY.resolve("base")), ConfigMap.class).getMetadata().getName()));
    assertThat(hostPath(pod, mount(passport, arg(passport, "--state-dir")).getName()))
        .isEqualTo("/var/lib/passport");
    assertThat(arg(passport, "--node-id")).isEqualTo("$(NODE_NAME)");
    EnvVar nodeName = passport.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME"))
        .findFirst().orElseThrow();
    assertThat(nodeName.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
    assertThat(pod.getServiceAccountName())
        .isEqualTo(only(loadAll(DEPLOY.resolve("base")), ServiceAccount.class).getMetadata().getName());
  }

  @Test
  void daemonSet_readinessProbe_asksPassportsHealthz_onTheMetricsPort() {
    Container passport = container(daemonSet().getSpec().getTemplate().getSpec(), "passport");

    assertThat(arg(passport, "--metrics-address")).isEqualTo(":9809");
    assertThat(passport.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(port(passport, passport.getReadinessProbe().getHttpGet().getPort().getStrVal()))
        .isEqualTo(9809);
  }

  @Test
  void daemonSet_resources_followTheBenchmark() {
    Container passport = container(daemonSet().getSpec().getTemplate().getSpec(), "passport");

    assertThat(passport.getResources().getRequests())
        .containsEntry("cpu", new Quantity("20m")).containsEntry("memory", new Quantity("144Mi"));
    assertThat(passport.getResources().getLimits()).containsOnlyKeys("memory")
        .containsEntry("memory", new Quantity("320Mi"));
  }

  @Test
  void daemonSet_sidecars_registerTheSocketWithKubelet_andProbeIt() {
    PodSpec pod = daemonSet().getSpec().getTemplate().getSpec();
    Container registrar = container(pod, "node-driver-registrar");
    Container liveness = container(pod, "liveness-probe");
    Container passport = container(pod, "passport");

    assertThat(registrar.getImage()).startsWith("registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.");
    assertThat(registrar.getArgs()).contains("--csi-address=/csi/csi.sock",
        "--kubelet-registration-path=" + SOCKET_DIR + "csi.sock");
    assertThat(hostPath(pod, mount(registrar, "/registration").getName()))
        .isEqualTo("/var/lib/kubelet/plugins_registry/");
    assertThat(liveness.getImage()).startsWith("registry.k8s.io/sig-storage/livenessprobe:v2.");
    assertThat(liveness.getArgs()).contains("--csi-address=/csi/csi.sock", "--http-endpoint=:9808");
    assertThat(port(passport, passport.getLivenessProbe().getHttpGet().getPort().getStrVal()))
        .isEqualTo(9808);
    for (Container sidecar : List.of(registrar, liveness)) {
      assertThat(hostPath(pod, mount(sidecar, "/csi").getName())).isEqualTo(SOCKET_DIR);
    }
  }

  @Test
  void daemonSet_containerPorts_areUniqueInThePod() {
    List<Integer> ports = daemonSet().getSpec().getTemplate().getSpec().getContainers().stream()
        .flatMap(c -> c.getPorts().stream()).map(ContainerPort::getContainerPort).toList();

    assertThat(ports).doesNotHaveDuplicates();
  }

  @Test
  void configMap_holdsOnePropertiesFilePerShippedPlugin() {
    ConfigMap config = only(loadAll(DEPLOY.resolve("base")), ConfigMap.class);

    assertThat(config.getData()).containsOnlyKeys("vault.properties", "gcp.properties",
        "certmanager.properties", "http.properties");
  }

  @Test
  void examples_mountAPassportVolumePerBackend_withAudiencesTheDriverRequests() {
    Set<String> audiences = only(load(DEPLOY.resolve("csidriver.yaml")), CSIDriver.class).getSpec()
        .getTokenRequests().stream().map(TokenRequest::getAudience).collect(Collectors.toSet());
    Map<String, Map<String, String>> byBackend = new java.util.TreeMap<>();
    for (Path file : Manifests.manifestFiles(DEPLOY.resolve("examples"))) {
      List<HasMetadata> objects = load(file);
      Pod pod = only(objects, Pod.class);
      ServiceAccount account = only(objects, ServiceAccount.class);
      assertThat(pod.getSpec().getServiceAccountName()).isEqualTo(account.getMetadata().getName());
      List<Volume> csi = pod.getSpec().getVolumes().stream().filter(v -> v.getCsi() != null).toList();
      assertThat(csi).as("csi volumes in %s", file).singleElement()
          .satisfies(v -> assertThat(v.getCsi().getDriver()).isEqualTo(DRIVER));
      Map<String, String> attributes = csi.get(0).getCsi().getVolumeAttributes();
      byBackend.put(attributes.get("backend"), attributes);
    }

    assertThat(byBackend).containsOnlyKeys("vault", "gcp", "certmanager", "http", "aws", "azure");
    assertThat(audiences).contains("sts.amazonaws.com", "api://AzureADTokenExchange");
    assertThat(audiences).contains(byBackend.get("vault").getOrDefault("audience", "vault"),
        byBackend.get("gcp").get("audience"), "");
    assertThat(byBackend.get("certmanager")).containsKey("csi.cert-manager.io/issuer-name");
    assertThat(byBackend.get("http")).containsKeys("url", "audience");
    String httpProperties = only(loadAll(DEPLOY.resolve("base")), ConfigMap.class).getData()
        .get("http.properties");
    assertThat(byBackend.get("http").get("url")).startsWith(httpProperties.lines()
        .filter(l -> l.startsWith("allowedUrlPrefixes=")).findFirst().orElseThrow()
        .substring("allowedUrlPrefixes=".length()));
  }

  private static DaemonSet daemonSet() {
    return only(loadAll(DEPLOY.resolve("base")), DaemonSet.class);
  }

  private static List<HasMetadata> loadAll(Path dir) {
    return Manifests.manifestFiles(dir).stream().flatMap(f -> load(f).stream()).toList();
  }

  private static Container container(PodSpec pod, String name) {
    return pod.getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name));
  }

  private static VolumeMount mount(Container container, String mountPath) {
    return container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(mountPath))
        .findFirst().orElseThrow(() -> new AssertionError(container.getName() + " mounts nothing at " + mountPath));
  }

  private static String hostPath(PodSpec pod, String volume) {
    return pod.getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst()
        .map(v -> v.getHostPath().getPath())
        .orElseThrow(() -> new AssertionError("no volume " + volume));
  }

  private static int port(Container container, String name) {
    return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .map(ContainerPort::getContainerPort)
        .orElseThrow(() -> new AssertionError(container.getName() + " has no port " + name));
  }

  /** The value after {@code flag} in the container's args ({@code --flag value}). */
  private static String arg(Container container, String flag) {
    List<String> args = container.getArgs();
    int at = args.indexOf(flag);
    assertThat(at).as("%s in args of %s", flag, container.getName()).isNotNegative();
    return args.get(at + 1);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(Path file) throws IOException {
    return Serialization.unmarshal(Files.readString(file), Map.class);
  }
}
