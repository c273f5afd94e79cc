package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.TokenRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart's sources, without helm (HelmRenderTest renders it): its metadata and values parse,
 * every {@code .Values.x} a template reads exists, and the defaults equal what deploy/ ships.
 */
class HelmChartTest {

  private static final Path ROOT = Manifests.repositoryRoot();
  private static final Path CHART = ROOT.resolve("dist/helm/passport");
  private static final Pattern VALUE_REFERENCE = Pattern.compile("\\.Values((?:\\.[A-Za-z][A-Za-z0-9_]*)+)");

  @Test
  void chart_isAV2ApplicationChartNamedPassport() throws IOException {
    Map<String, Object> chart = DeployManifestsTest.yaml(CHART.resolve("Chart.yaml"));

    assertThat(chart).containsEntry("apiVersion", "v2").containsEntry("name", "passport")
        .containsEntry("type", "application").containsKeys("version", "appVersion");
  }

  @Test
  void templates_readOnlyValuesThatExist() throws IOException {
    Map<String, Object> values = DeployManifestsTest.yaml(CHART.resolve("values.yaml"));
    List<String> missing = new ArrayList<>();
    List<Path> templates;
    try (Stream<Path> files = Files.list(CHART.resolve("templates"))) {
      templates = files.sorted().toList();
    }

    for (Path template : templates) {
      Matcher reference = VALUE_REFERENCE.matcher(Files.readString(template));
      while (reference.find()) {
        if (!exists(values, reference.group(1).substring(1).split("\\."))) {
          missing.add(template.getFileName() + ": .Values" + reference.group(1));
        }
      }
    }

    assertThat(templates).extracting(p -> p.getFileName().toString())
        .contains("csidriver.yaml", "daemonset.yaml", "serviceaccount.yaml", "configmap.yaml");
    assertThat(missing).isEmpty();
  }

  @Test
  void defaults_equalWhatDeployShips() throws IOException {
    Map<String, Object> values = DeployManifestsTest.yaml(CHART.resolve("values.yaml"));
    CSIDriver driver = Manifests.only(Manifests.load(ROOT.resolve("deploy/csidriver.yaml")), CSIDriver.class);
    DaemonSet daemonSet = Manifests.only(
        Manifests.load(ROOT.resolve("deploy/base/daemonset.yaml")), DaemonSet.class);
    List<Container> containers = daemonSet.getSpec().getTemplate().getSpec().getContainers();

    assertThat(at(values, "driverName")).isEqualTo(driver.getMetadata().getName());
    List<?> tokenRequests = (List<?>) at(values, "csiDriver", "tokenRequests");
    assertThat(tokenRequests).hasSameSizeAs(driver.getSpec().getTokenRequests());
    for (int i = 0; i < tokenRequests.size(); i++) {
      Map<?, ?> request = (Map<?, ?>) tokenRequests.get(i);
      TokenRequest shipped = driver.getSpec().getTokenRequests().get(i);
      assertThat(request.get("audience")).isEqualTo(shipped.getAudience());
      assertThat(((Number) request.get("expirationSeconds")).longValue())
          .isEqualTo(shipped.getExpirationSeconds());
    }
    // deploy/ is for 1.35 (deploy/pre-1.35 drops the field); the chart follows the server's version.
    assertThat(at(values, "csiDriver", "serviceAccountTokenInSecrets")).isEqualTo("auto");
    assertThat(driver.getSpec().getServiceAccountTokenInSecrets()).isTrue();
    Container passport = containers.get(0);
    assertThat(new Quantity(at(values, "resources", "requests", "cpu").toString()))
        .isEqualTo(passport.getResources().getRequests().get("cpu"));
    assertThat(new Quantity(at(values, "resources", "requests", "memory").toString()))
        .isEqualTo(passport.getResources().getRequests().get("memory"));
    assertThat(new Quantity(at(values, "resources", "limits", "memory").toString()))
        .isEqualTo(passport.getResources().getLimits().get("memory"));
    assertThat(passport.getImage())
        .isEqualTo(at(values, "image", "repository") + ":" + at(values, "image", "tag"));
    assertThat(at(values, "defaultFileMode"))
        .as("quoted in values.yaml, so YAML does not read it as a decimal number")
        .isEqualTo(argAfter(passport.getArgs(), "--default-file-mode")).isEqualTo("0644");
    assertThat(containers.get(1).getImage()).isEqualTo(at(values, "sidecars", "nodeDriverRegistrar", "image"));
    assertThat(containers.get(1).getResources().getLimits().get("memory")).isEqualTo(
        new Quantity(at(values, "sidecars", "nodeDriverRegistrar", "resources", "limits", "memory").toString()));
    assertThat(containers.get(2).getImage()).isEqualTo(at(values, "sidecars", "livenessProbe", "image"));
    assertThat(((Map<?, ?>) at(values, "pluginConfig")).keySet().stream().map(Object::toString))
        .containsExactlyInAnyOrder("vault.properties",
        "gcp.properties", "certmanager.properties", "http.properties");
  }

  private static String argAfter(List<String> args, String flag) {
    int at = args.indexOf(flag);
    assertThat(at).as("%s in the deploy/ args", flag).isNotNegative();
    return args.get(at + 1);
  }

  private static boolean exists(Map<String, Object> values, String[] path) {
    Object node = values;
    for (String key : path) {
      if (!(node instanceof Map<?, ?> map) || !map.containsKey(key)) {
        return false;
      }
      node = map.get(key);
    }
    return true;
  }

  private static Object at(Map<String, Object> values, String... path) {
    assertThat(exists(values, path)).as("values.yaml has %s", String.join(".", path)).isTrue();
    Object node = values;
    for (String key : path) {
      node = ((Map<?, ?>) node).get(key);
    }
    return node;
  }
}
