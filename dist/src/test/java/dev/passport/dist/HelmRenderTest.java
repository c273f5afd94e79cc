package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart and the kustomize variants rendered by the real tools (issue 21): {@code helm lint
 * --strict}, {@code helm template} for the oldest, a middle and the newest Kubernetes the chart
 * declares and with every optional value on, and {@code kubectl kustomize} of each deploy/
 * variant; every object rendered is read into fabric8's typed model, where an unknown field fails.
 *
 * <p>helm and kubectl come from {@code PATH} (or the system properties {@code passport.helm} and
 * {@code passport.kubectl}); {@code .ci/run} puts them there ({@code dist/helm-tools}). Without
 * them the test fails under {@code CI=true} and is skipped on a developer's machine.
 */
class HelmRenderTest {

  private static final Path ROOT = Manifests.repositoryRoot();
  private static final Path CHART = ROOT.resolve("dist/helm/passport");
  private static final Path ALL_ON = CHART.resolve("ci/all-on-values.yaml");
  /** Objects of the Prometheus Operator's CRDs: not in fabric8's core model, checked by hand. */
  private static final String MONITORING = "monitoring.coreos.com/v1";

  private static Path helm;
  private static Path kubectl;

  @TempDir static Path helmHome;

  @BeforeAll
  static void tools() {
    helm = tool("passport.helm", "helm");
    kubectl = tool("passport.kubectl", "kubectl");
  }

  @Test
  void lint_strict_passesWithTheDefaultsAndWithEveryOptionalValueOn() throws Exception {
    assertThat(run(helm, "lint", "--strict", CHART.toString()).exit()).isZero();
    assertThat(run(helm, "lint", "--strict", CHART.toString(), "-f", ALL_ON.toString()).exit())
        .isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.30.0", "1.33.0", "1.35.0"})
  void template_forEachSupportedKubernetes_rendersTypedObjects_tokenInSecretsOnlyFrom135(
      String kubeVersion) throws Exception {
    List<HasMetadata> objects = typed(template(kubeVersion), "helm template " + kubeVersion);

    CSIDriver driver = Manifests.only(objects, CSIDriver.class);
    Boolean inSecrets = driver.getSpec().getServiceAccountTokenInSecrets();
    if (kubeVersion.equals("1.35.0")) {
      assertThat(inSecrets).isTrue();
    } else {
      assertThat(inSecrets).as("a %s API server rejects the field", kubeVersion).isNull();
    }
    PodSpec pod = Manifests.only(objects, DaemonSet.class).getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers()).extracting(Container::getName)
        .containsExactly("passport", "node-driver-registrar", "liveness-probe");
    for (Container sidecar : pod.getContainers().subList(1, 3)) {
      assertThat(sidecar.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(sidecar.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(sidecar.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(sidecar.getResources().getLimits()).containsKey("memory");
    }
    assertThat(pod.getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem())
        .isTrue();
  }

  @Test
  void template_everyOptionalValueOn_rendersEachOptionalObjectAndField() throws Exception {
    String rendered = template("1.35.0", "-f", ALL_ON.toString());
    List<HasMetadata> objects = typed(rendered, "helm template (all on)");

    PodSpec pod = Manifests.only(objects, DaemonSet.class).getSpec().getTemplate().getSpec();
    Container passport = pod.getContainers().get(0);
    assertThat(passport.getImage()).contains("@sha256:");
    assertThat(passport.getEnv()).extracting(EnvVar::getName)
        .contains("NODE_NAME", "PASSPORT_LOG_LEVEL", "VAULT_ROLE_SUFFIX", "VAULT_CA_PEM");
    assertThat(passport.getEnvFrom()).hasSize(1);
    assertThat(passport.getVolumeMounts()).anyMatch(m -> m.getName().equals("corporate-ca"));
    assertThat(pod.getVolumes()).anyMatch(v -> v.getName().equals("corporate-ca"));
    assertThat(pod.getImagePullSecrets()).hasSize(1);
    assertThat(pod.getAffinity().getNodeAffinity()).isNotNull();
    assertThat(Manifests.only(objects, DaemonSet.class).getSpec().getTemplate().getMetadata()
        .getLabels()).containsEntry("team", "platform");
    assertThat(Manifests.only(objects, DaemonSet.class).getSpec().getUpdateStrategy()
        .getRollingUpdate().getMaxUnavailable().getStrVal()).isEqualTo("10%");

    List<Map<String, Object>> monitoring = monitoring(rendered);
    assertThat(monitoring).extracting(o -> o.get("kind"))
        .containsExactlyInAnyOrder("PodMonitor", "ServiceMonitor", "PrometheusRule");
    for (Map<String, Object> object : monitoring) {
      checkMonitoring(object);
    }
  }

  @Test
  void template_aValueOfTheWrongType_isRefusedByTheSchema() throws Exception {
    Result result = run(helm, "template", "passport", CHART.toString(), "--set",
        "metrics.port=abc");

    assertThat(result.exit()).isNotZero();
    assertThat(result.output()).contains("/metrics/port").contains("want integer");
    Result typo = run(helm, "template", "passport", CHART.toString(), "--set", "imageTag=x");
    assertThat(typo.exit()).isNotZero();
    assertThat(typo.output()).contains("imageTag");
  }

  @ParameterizedTest
  @ValueSource(strings = {"deploy", "deploy/pre-1.35", "deploy/dropin", "deploy/dropin-sync-driver"})
  void kustomize_eachDeployVariant_rendersTypedObjects(String variant) throws Exception {
    Result result = run(kubectl, "kustomize", ROOT.resolve(variant).toString());
    assertThat(result.exit()).as(result.output()).isZero();

    List<HasMetadata> objects = typed(result.stdout(), "kubectl kustomize " + variant);

    assertThat(objects).extracting(HasMetadata::getKind).contains("CSIDriver");
  }

  private static String template(String kubeVersion, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("template", "passport", CHART.toString(),
        "--namespace", "passport", "--kube-version", kubeVersion));
    args.addAll(List.of(extra));
    Result result = run(helm, args.toArray(String[]::new));
    assertThat(result.exit()).as(result.output()).isZero();
    return result.stdout();
  }

  /** Every object but the monitoring ones, typed; a rendered document that is neither fails. */
  private static List<HasMetadata> typed(String rendered, String where) {
    StringBuilder core = new StringBuilder();
    for (String document : Manifests.documents(rendered)) {
      if (!MONITORING.equals(yaml(document).get("apiVersion"))) {
        core.append("---\n").append(document).append('\n');
      }
    }
    return Manifests.load(core.toString(), where);
  }

  private static List<Map<String, Object>> monitoring(String rendered) {
    return Manifests.documents(rendered).stream().map(HelmRenderTest::yaml)
        .filter(object -> MONITORING.equals(object.get("apiVersion")))
        .toList();
  }

  /** The fields the Prometheus Operator's CRDs define for what the chart renders, and no others. */
  @SuppressWarnings("unchecked")
  private static void checkMonitoring(Map<String, Object> object) {
    String kind = (String) object.get("kind");
    assertThat(object).containsOnlyKeys("apiVersion", "kind", "metadata", "spec");
    Map<String, Object> spec = (Map<String, Object>) object.get("spec");
    switch (kind) {
      case "PodMonitor" -> {
        assertThat(spec).containsOnlyKeys("selector", "podMetricsEndpoints");
        for (Object endpoint : (List<Object>) spec.get("podMetricsEndpoints")) {
          assertThat((Map<String, Object>) endpoint).containsOnlyKeys("port", "path", "interval")
              .containsEntry("port", "metrics");
        }
      }
      case "ServiceMonitor" -> {
        assertThat(spec).containsOnlyKeys("selector", "endpoints");
        for (Object endpoint : (List<Object>) spec.get("endpoints")) {
          assertThat((Map<String, Object>) endpoint).containsOnlyKeys("port", "path", "interval");
        }
      }
      case "PrometheusRule" -> {
        assertThat(spec).containsOnlyKeys("groups");
        List<String> exprs = new ArrayList<>();
        for (Object group : (List<Object>) spec.get("groups")) {
          assertThat((Map<String, Object>) group).containsOnlyKeys("name", "rules");
          for (Object rule : (List<Object>) ((Map<String, Object>) group).get("rules")) {
            assertThat((Map<String, Object>) rule)
                .containsOnlyKeys("alert", "expr", "for", "labels", "annotations");
            exprs.add(String.valueOf(((Map<String, Object>) rule).get("expr")));
          }
        }
        assertThat(String.join("\n", exprs))
            .contains("passport_material_earliest_expiry_timestamp_seconds")
            .contains("passport_refresh_failures_total")
            .contains("passport_backend_fetch_seconds_count");
      }
      default -> fail("unexpected monitoring kind " + kind);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> yaml(String document) {
    return Serialization.unmarshal(document, Map.class);
  }

  private record Result(int exit, String stdout, String output) {}

  private static Result run(Path tool, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(tool.toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT);
    // helm's own state (repositories, cache) in a directory of the test's, never the user's.
    builder.environment().put("HELM_CACHE_HOME", helmHome.resolve("cache").toString());
    builder.environment().put("HELM_CONFIG_HOME", helmHome.resolve("config").toString());
    builder.environment().put("HELM_DATA_HOME", helmHome.resolve("data").toString());
    Path err = Files.createTempFile(helmHome, "stderr", ".txt");
    builder.redirectError(err.toFile());
    Process process = builder.start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(String.join(" ", command) + " did not finish within 120 s");
    }
    String stdout = new String(out, StandardCharsets.UTF_8);
    return new Result(process.exitValue(), stdout,
        stdout + Files.readString(err, StandardCharsets.UTF_8));
  }

  /** The tool at the system property, else on PATH; absent: a failure in CI, else a skip. */
  private static Path tool(String property, String name) {
    Optional<Path> found = Optional.ofNullable(System.getProperty(property)).map(Path::of)
        .or(() -> onPath(name));
    if (found.isEmpty()) {
      String problem = name + " is not on PATH (nor -D" + property + "); .ci/run installs it with"
          + " dist/helm-tools";
      if ("true".equals(System.getenv("CI"))) {
        fail(problem);
      }
      Assumptions.abort(problem);
    }
    return found.get();
  }

  private static Optional<Path> onPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
