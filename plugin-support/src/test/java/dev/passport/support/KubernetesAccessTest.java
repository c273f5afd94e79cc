package dev.passport.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.testkit.TestPki;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesAccessTest {

  static final Map<String, String> IN_A_POD =
      Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443");

  @TempDir Path dir;

  private static Optional<KubernetesAccess> parse(Map<String, String> config,
      Map<String, String> environment) throws BackendException {
    Settings settings = Settings.config("x.properties", config);
    settings.known(KubernetesAccess.keys()).rejectUnknown();
    return KubernetesAccess.parse(settings, environment);
  }

  @Test
  void parse_switchOff_isEmpty() throws Exception {
    assertThat(parse(Map.of(), IN_A_POD)).isEmpty();
  }

  @Test
  void parse_switchOnInAPod_usesTheServiceEnvironmentTheMountedTokenAndFiveMinutes()
      throws Exception {
    KubernetesAccess access = parse(Map.of("serviceAccountAnnotations", "true"), IN_A_POD)
        .orElseThrow();

    assertThat(access.apiServer()).isEqualTo(URI.create("https://10.96.0.1:443"));
    assertThat(access.tokenFile())
        .isEqualTo(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token"));
    assertThat(access.cacheTtl()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void parse_ipv6ServiceHost_isBracketed() throws Exception {
    KubernetesAccess access = parse(Map.of("serviceAccountAnnotations", "true"),
        Map.of("KUBERNETES_SERVICE_HOST", "fd00::1")).orElseThrow();

    assertThat(access.apiServer()).isEqualTo(URI.create("https://[fd00::1]:443"));
  }

  @Test
  void parse_everyKeySet_isBound() throws Exception {
    Path ca = TestPki.create("cluster").writeCa(dir.resolve("ca.crt"));

    KubernetesAccess access = parse(Map.of("serviceAccountAnnotations", "true",
        "kubernetesApiServer", " https://api.example:6443 ", "kubernetesCaFile", ca.toString(),
        "kubernetesTokenFile", "/run/token", "annotationCacheTtl", "90s"), Map.of()).orElseThrow();

    assertThat(access.apiServer()).isEqualTo(URI.create("https://api.example:6443"));
    assertThat(access.tokenFile()).isEqualTo(Path.of("/run/token"));
    assertThat(access.cacheTtl()).isEqualTo(Duration.ofSeconds(90));
    assertThat(access.trust().trustManager().getAcceptedIssuers()).anySatisfy(issuer ->
        assertThat(issuer.getSubjectX500Principal().getName()).contains("cluster"));
  }

  @Test
  void parse_keysWithoutTheSwitch_stopStartupNamingTheKey() {
    for (String key : new String[] {"kubernetesApiServer", "kubernetesCaFile",
        "kubernetesTokenFile", "annotationCacheTtl"}) {
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> parse(Map.of(key, "5m"), IN_A_POD));
      assertThat(e).hasMessageContaining(key).hasMessageContaining("serviceAccountAnnotations=true");
    }
  }

  @Test
  void parse_switchOnOutsideAPod_saysWhatToSet() {
    BackendException e = catchThrowableOfType(BackendException.class,
        () -> parse(Map.of("serviceAccountAnnotations", "true"), Map.of()));

    assertThat(e).hasMessageContaining("kubernetesApiServer");
  }

  @Test
  void parse_badApiServerOrUnreadableCa_stopStartupNamingTheKey() throws Exception {
    Path notPem = Files.writeString(dir.resolve("ca.crt"), "not a certificate");
    Map<String, String> cases = Map.of(
        "kubernetesApiServer", "ftp://10.0.0.1",
        "kubernetesCaFile", dir.resolve("missing.crt").toString());
    for (Map.Entry<String, String> c : cases.entrySet()) {
      BackendException e = catchThrowableOfType(BackendException.class, () -> parse(Map.of(
          "serviceAccountAnnotations", "true", c.getKey(), c.getValue()), IN_A_POD));
      assertThat(e).hasMessageContaining(c.getKey());
    }
    BackendException e = catchThrowableOfType(BackendException.class, () -> parse(Map.of(
        "serviceAccountAnnotations", "true", "kubernetesCaFile", notPem.toString()), IN_A_POD));
    assertThat(e).hasMessageContaining("kubernetesCaFile").hasMessageContaining("PEM");
  }
}
