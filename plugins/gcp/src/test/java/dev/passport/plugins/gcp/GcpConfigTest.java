package dev.passport.plugins.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.BackendException.Kind;
import dev.passport.testkit.TestBackendContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GcpConfigTest {

  @TempDir Path tempDir;

  @Test
  void parse_empty_usesGooglesPublicEndpoints() throws Exception {
    GcpConfig config = GcpConfig.parse(Map.of());

    assertThat(config).isEqualTo(GcpConfig.googleDefaults());
    assertThat(config.stsTokenUrl()).isEqualTo("https://sts.googleapis.com/v1/token");
    assertThat(config.endpointFor(Optional.empty())).isEqualTo("secretmanager.googleapis.com:443");
    assertThat(config.endpointFor(Optional.of("europe-west1")))
        .isEqualTo("secretmanager.europe-west1.rep.googleapis.com:443");
    assertThat(config.generateAccessTokenUrl("a@p.iam.gserviceaccount.com")).isEqualTo(
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
            + "a@p.iam.gserviceaccount.com:generateAccessToken");
    assertThat(config.allowProviderAdc()).isFalse();
    assertThat(config.pinnedRefreshInterval()).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void parse_everyKey_isBound() throws Exception {
    Path ca = Files.writeString(tempDir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    GcpConfig config = GcpConfig.parse(Map.ofEntries(
        Map.entry("audience", "p.svc.id.goog"),
        Map.entry("workloadIdentityProvider", "identitynamespace:p.svc.id.goog:https://c"),
        Map.entry("serviceAccount", "sa@p.iam.gserviceaccount.com"),
        Map.entry("delegates", "d@p.iam.gserviceaccount.com"),
        Map.entry("allowProviderAdc", "TRUE"),
        Map.entry("stsTokenUrl", "https://sts.internal/v1/token"),
        Map.entry("iamCredentialsUrl", "https://iam.internal/"),
        Map.entry("secretManagerEndpoint", "sm.internal:8443"),
        Map.entry("regionalEndpointTemplate", "sm-{location}.internal:8443"),
        Map.entry("allowedLocations", "asia-east1, europe-west1"),
        Map.entry("caBundle", ca.toString()),
        Map.entry("pinnedRefreshInterval", "PT6H"),
        Map.entry("impersonationLifetime", "30m")));

    assertThat(config.defaults().audience()).contains("p.svc.id.goog");
    assertThat(config.defaults().delegates())
        .containsExactly("projects/-/serviceAccounts/d@p.iam.gserviceaccount.com");
    assertThat(config.allowProviderAdc()).isTrue();
    assertThat(config.generateAccessTokenUrl("x@y")).startsWith("https://iam.internal/v1/");
    assertThat(config.endpointFor(Optional.of("asia-east1"))).isEqualTo("sm-asia-east1.internal:8443");
    assertThat(config.allowedLocations()).containsExactlyInAnyOrder("asia-east1", "europe-west1");
    assertThat(config.caBundle()).contains(ca);
    assertThat(config.pinnedRefreshInterval()).isEqualTo(Duration.ofHours(6));
    assertThat(config.impersonationLifetime()).isEqualTo(Duration.ofMinutes(30));
  }

  /** The one duration syntax of Passport: Go-style and ISO-8601, as the CLI reads it. */
  @ParameterizedTest
  @CsvSource({"1h30m, PT1H30M", "90s, PT90S", "PT1H30M, PT1H30M"})
  void parse_pinnedRefreshInterval_acceptsGoAndIsoDurations(String written, String expected)
      throws Exception {
    GcpConfig config = GcpConfig.parse(Map.of("pinnedRefreshInterval", written));

    assertThat(config.pinnedRefreshInterval()).isEqualTo(Duration.parse(expected));
  }

  @Test
  void parse_noAllowedLocations_allowsGoogleCloudsRegionsOnly() throws Exception {
    GcpConfig config = GcpConfig.parse(Map.of());

    assertThat(config.allowsLocation("europe-west1")).isTrue();
    assertThat(config.allowsLocation("us-central1")).isTrue();
    assertThat(config.allowsLocation("metadata")).isFalse();
    assertThat(config.allowsLocation("localhost")).isFalse();
  }

  @Test
  void parse_anyLocationWithTheLocationInsideADomain_isAccepted() throws Exception {
    GcpConfig google = GcpConfig.parse(Map.of("allowedLocations", "*"));
    GcpConfig fixedHost = GcpConfig.parse(Map.of("allowedLocations", "*",
        "regionalEndpointTemplate", "sm.internal:8443"));

    assertThat(google.allowsLocation("new-region1")).isTrue();
    assertThat(fixedHost.allowsLocation("anything")).isTrue();
    assertThat(fixedHost.locationChoosesEndpoint()).isFalse();
  }

  @Test
  void parse_anyLocationWhereTheLocationWouldBeTheWholeHost_isRefusedNamingTheKey() {
    assertInvalid(Map.of("allowedLocations", "*", "regionalEndpointTemplate", "{location}:443"),
        "allowedLocations");
    assertInvalid(Map.of("allowedLocations", "*",
        "regionalEndpointTemplate", "sm-{location}.internal:443"), "allowedLocations");
  }

  @Test
  void parse_badAllowedLocations_areRefusedNamingTheKey() {
    assertInvalid(Map.of("allowedLocations", "europe-west1, 10.0.0.1"), "allowedLocations");
    assertInvalid(Map.of("allowedLocations", "*, europe-west1"), "allowedLocations");
    assertInvalid(Map.of("allowedLocations", ","), "allowedLocations");
  }

  @Test
  void parse_unknownKey_isInvalidArgumentNamingIt() {
    assertInvalid(Map.of("stsUrl", "https://x"), "stsUrl");
  }

  @Test
  void parse_plainHttpTokenUrl_isRefusedBecauseTheLibraryRefusesIt() {
    assertInvalid(Map.of("stsTokenUrl", "http://127.0.0.1:8080/v1/token"), "\"stsTokenUrl\" must be an https URL");
    assertInvalid(Map.of("iamCredentialsUrl", "iam.internal"), "iamCredentialsUrl");
  }

  @Test
  void parse_endpointWithScheme_isRefused() {
    assertInvalid(Map.of("secretManagerEndpoint", "https://sm.internal:443"), "host:port");
    assertInvalid(Map.of("regionalEndpointTemplate", "sm.{location}.internal"), "host:port");
  }

  @Test
  void parse_badValues_areRefusedNamingTheKey() {
    assertInvalid(Map.of("allowProviderAdc", "yes"), "allowProviderAdc");
    assertInvalid(Map.of("caBundle", tempDir.resolve("missing.pem").toString()), "caBundle");
    assertInvalid(Map.of("pinnedRefreshInterval", "24 hours"), "pinnedRefreshInterval");
    assertInvalid(Map.of("pinnedRefreshInterval", "PT0S"), "pinnedRefreshInterval");
    assertInvalid(Map.of("pinnedRefreshInterval", "-1h"), "pinnedRefreshInterval");
    assertInvalid(Map.of("impersonationLifetime", "PT13H"), "impersonationLifetime");
    assertInvalid(Map.of("impersonationLifetime", "500ms"), "impersonationLifetime");
    assertInvalid(Map.of("workloadIdentityProvider", "pool"), "workloadIdentityProvider");
    assertInvalid(Map.of("serviceAccount", "sa"), "serviceAccount");
    assertInvalid(Map.of("serviceAccount", "a%2F..%2Fb@p.iam.gserviceaccount.com"),
        "serviceAccount");
    assertInvalid(Map.of("audience", "two words"), "audience");
  }

  @Test
  void create_caBundleWithoutCertificates_isInvalidArgument() throws Exception {
    Path notPem = Files.writeString(tempDir.resolve("empty.pem"), "nothing here\n");

    try (TestBackendContext context = TestBackendContext.create()) {
      assertThatThrownBy(() -> new GcpBackendFactory().create(
          Map.of("caBundle", notPem.toString()), context))
          .isInstanceOfSatisfying(BackendException.class,
              e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
          .hasMessageContaining("caBundle");
    }
  }

  @Test
  void factory_isFoundByServiceLoaderUnderItsName() {
    assertThat(ServiceLoader.load(BackendFactory.class).stream()
        .map(provider -> provider.get().name())).contains("gcp");
  }

  private static void assertInvalid(Map<String, String> config, String messagePart) {
    assertThatThrownBy(() -> GcpConfig.parse(config))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining(messagePart);
  }
}
