package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CertManagerConfigTest {

  @TempDir Path dir;

  @Test
  void from_inAPod_usesTheServiceEnvironmentAndServiceAccountCa() throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.crt"), "pem");

    CertManagerConfig config = CertManagerConfig.from(Map.of(),
        Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443"), ca);

    assertThat(config.apiServer()).contains(URI.create("https://10.96.0.1:443"));
    assertThat(config.caFile()).contains(ca);
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void from_ipv6ServiceHost_isBracketed() throws Exception {
    CertManagerConfig config = CertManagerConfig.from(Map.of(),
        Map.of("KUBERNETES_SERVICE_HOST", "fd00::1", "KUBERNETES_SERVICE_PORT", "443"),
        dir.resolve("absent"));

    assertThat(config.apiServer()).contains(URI.create("https://[fd00::1]:443"));
    assertThat(config.caFile()).isEmpty();
  }

  @Test
  void from_explicitSettings_win() throws Exception {
    Path ca = Files.writeString(dir.resolve("api-ca.pem"), "pem");

    CertManagerConfig config = CertManagerConfig.from(
        Map.of("apiServer", "https://api.example.com:6443", "caFile", ca.toString(), "timeout", "2m"),
        Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443"), ca);

    assertThat(config.apiServer()).contains(URI.create("https://api.example.com:6443"));
    assertThat(config.caFile()).contains(ca);
    assertThat(config.timeout()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void from_outsideAPodWithoutApiServer_hasNone() throws Exception {
    assertThat(CertManagerConfig.from(Map.of(), Map.of(), dir.resolve("absent")).apiServer()).isEmpty();
  }

  @Test
  void from_unknownKey_failsNamingIt() {
    assertThatThrownBy(() -> CertManagerConfig.from(Map.of("apiserver", "x"), Map.of(), dir))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("certmanager.properties: unknown key \"apiserver\"")
        .hasMessageContaining("apiServer, caFile, defaultKeyAlgorithm, timeout");
  }

  @Test
  void from_defaultKeyAlgorithm_isRsaUnlessTheOperatorChoosesAnother() throws Exception {
    assertThat(CertManagerConfig.from(Map.of(), Map.of(), dir).defaultKeyAlgorithm())
        .isEqualTo(KeySpec.Algorithm.RSA);
    assertThat(CertManagerConfig.from(Map.of("defaultKeyAlgorithm", "ECDSA"), Map.of(), dir)
        .defaultKeyAlgorithm()).isEqualTo(KeySpec.Algorithm.ECDSA);
    assertThatThrownBy(() -> CertManagerConfig.from(Map.of("defaultKeyAlgorithm", "DSA"), Map.of(), dir))
        .isInstanceOf(BackendException.class).hasMessageContaining("defaultKeyAlgorithm")
        .hasMessageContaining("RSA");
  }

  @ParameterizedTest
  @CsvSource({"1h30m, PT1H30M", "90s, PT1M30S", "PT1H30M, PT1H30M"})
  void from_timeoutInGoOrIsoSyntax_isAccepted(String text, String iso) throws Exception {
    assertThat(CertManagerConfig.from(Map.of("timeout", text), Map.of(), dir).timeout())
        .isEqualTo(Duration.parse(iso));
  }

  @Test
  void from_badValues_failNamingTheKey() {
    assertThatThrownBy(() -> CertManagerConfig.from(Map.of("apiServer", "api:6443"), Map.of(), dir))
        .hasMessageContaining("apiServer");
    assertThatThrownBy(() -> CertManagerConfig.from(Map.of("caFile", dir.resolve("x").toString()),
        Map.of(), dir)).hasMessageContaining("caFile");
    assertThatThrownBy(() -> CertManagerConfig.from(Map.of("timeout", "0s"), Map.of(), dir))
        .hasMessageContaining("timeout").hasMessageContaining("greater than zero");
    assertThatThrownBy(() -> CertManagerConfig.from(Map.of("timeout", "-1m"), Map.of(), dir))
        .hasMessageContaining("timeout").hasMessageContaining("negative");
    assertThatThrownBy(() -> CertManagerConfig.from(Map.of("timeout", "soon"), Map.of(), dir))
        .hasMessageContaining("timeout").hasMessageContaining("1h30m");
  }
}
