package dev.passport.plugins.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.plugins.gcp.SecretObject.Format;
import dev.passport.plugins.gcp.GcpVolume.Auth;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GcpVolumeTest {

  static final String PROVIDER =
      "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/k8s";
  static final String GKE_PROVIDER = "identitynamespace:my-project.svc.id.goog:"
      + "https://container.googleapis.com/v1/projects/my-project/locations/us-central1/clusters/c";
  static final String NAME = "projects/p/secrets/s/versions/1";

  final GcpConfig config = config(Map.of(GcpConfig.WORKLOAD_IDENTITY_PROVIDER, PROVIDER));

  @Test
  void parse_providerGcpParameters_keepsOrderPathsModesAndExtraction() throws Exception {
    GcpVolume settings = GcpVolume.parse(Map.of("secrets", String.join("\n",
        "- resourceName: \"projects/p/secrets/db/versions/latest\"",
        "  path: \"db/password\"",
        "  mode: 0400",
        "- resourceName: projects/p/locations/us-east1/secrets/cfg/versions/2",
        "  fileName: cfg.json",
        "  extractJSONKey: token")), config);

    assertThat(settings.secrets()).hasSize(2);
    SecretObject first = settings.secrets().get(0);
    assertThat(first.path()).isEqualTo("db/password");
    assertThat(first.mode()).hasValue(0400);
    assertThat(first.resource().location()).isEmpty();
    assertThat(first.resource().pinned()).isFalse();
    SecretObject second = settings.secrets().get(1);
    assertThat(second.path()).isEqualTo("cfg.json");
    assertThat(second.resource().location()).contains("us-east1");
    assertThat(second.resource().pinned()).isTrue();
    assertThat(second.extraction()).hasValueSatisfying(e -> {
      assertThat(e.format()).isEqualTo(Format.JSON);
      assertThat(e.key()).isEqualTo("token");
    });
    assertThat(settings.auth()).isEqualTo(Auth.POD_ADC);
    assertThat(settings.allPinned()).isFalse();
  }

  @Test
  void parse_poolProviderWithoutAudience_defaultsToTheProvidersHttpsName() throws Exception {
    GcpVolume settings = GcpVolume.parse(secrets(NAME), config);

    assertThat(settings.audience()).contains("https:" + PROVIDER);
  }

  @Test
  void parse_gkeProviderWithoutAudience_defaultsToTheIdentityNamespace() throws Exception {
    Map<String, String> attributes = new HashMap<>(secrets(NAME));
    attributes.put("workloadIdentityProvider", GKE_PROVIDER);

    assertThat(GcpVolume.parse(attributes, config).audience())
        .contains("my-project.svc.id.goog");
  }

  @Test
  void parse_attributesOverrideConfigDefaults() throws Exception {
    GcpConfig withDefaults = config(Map.of(
        GcpConfig.WORKLOAD_IDENTITY_PROVIDER, PROVIDER,
        GcpConfig.AUDIENCE, "config-audience",
        GcpConfig.SERVICE_ACCOUNT, "config@p.iam.gserviceaccount.com"));
    Map<String, String> attributes = new HashMap<>(secrets(NAME));
    attributes.put("audience", "volume-audience");
    attributes.put("serviceAccount", "volume@p.iam.gserviceaccount.com");
    attributes.put("delegates", "[a@p.iam.gserviceaccount.com, "
        + "projects/-/serviceAccounts/b@p.iam.gserviceaccount.com]");

    GcpVolume settings = GcpVolume.parse(attributes, withDefaults);

    assertThat(settings.audience()).contains("volume-audience");
    assertThat(settings.serviceAccount()).contains("volume@p.iam.gserviceaccount.com");
    assertThat(settings.delegates()).containsExactly(
        "projects/-/serviceAccounts/a@p.iam.gserviceaccount.com",
        "projects/-/serviceAccounts/b@p.iam.gserviceaccount.com");
    assertThat(GcpVolume.parse(secrets(NAME), withDefaults).audience())
        .contains("config-audience");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "projects/p/secrets/s",
      "projects/p/secrets/s/versions/",
      "projects/p/secrets/s/versions/1/extra",
      "secrets/s/versions/1",
      "projects/p/locations/US EAST/secrets/s/versions/1",
      "projects/p/locations/evil.example.com:443#/secrets/s/versions/1",
      "//secretmanager.googleapis.com/projects/p/secrets/s/versions/1"})
  void parse_resourceNameOfAnotherShape_isInvalidArgumentNamingTheField(String name) {
    assertInvalid(Map.of("secrets", "- resourceName: \"" + name + "\"\n  path: x"),
        "secrets[0].resourceName");
  }

  @Test
  void parse_unknownAttribute_isInvalidArgumentNamingIt() {
    Map<String, String> attributes = new HashMap<>(secrets(NAME));
    attributes.put("projectID", "p");

    assertInvalid(attributes, "projectID");
  }

  @Test
  void parse_unknownSecretFields_areIgnoredAsProviderGcpIgnoresThemAndListedForAWarning()
      throws Exception {
    GcpVolume settings = GcpVolume.parse(Map.of("secrets", "- resourceName: " + NAME
        + "\n  path: x\n  encoding: base64\n  comment: [a, b]"), config);

    assertThat(settings.secrets()).singleElement()
        .satisfies(s -> assertThat(s.path()).isEqualTo("x"));
    assertThat(settings.ignored()).containsExactly("secrets[0].encoding", "secrets[0].comment");
  }

  @Test
  void parse_leftoverSecretProviderClassAttribute_isIgnoredAndListedForAWarning()
      throws Exception {
    Map<String, String> attributes = new HashMap<>(secrets(NAME));
    attributes.put("secretProviderClass", "app-secrets");

    GcpVolume settings = GcpVolume.parse(attributes, config);

    assertThat(settings.ignored()).singleElement().asString().contains("secretProviderClass");
  }

  @Test
  void parse_nonStringScalarsInStringFields_takeTheTextAsWritten_asGoYamlDoes() throws Exception {
    GcpVolume settings = GcpVolume.parse(Map.of("secrets", String.join("\n",
        "- resourceName: " + NAME, "  path: 2024", "  extractYAMLKey: yes",
        "- resourceName: " + NAME, "  path: 0440", "  extractJSONKey: on",
        "- resourceName: " + NAME, "  path: true",
        "- resourceName: " + NAME, "  path: 1:20",
        "- resourceName: " + NAME, "  path: 2024-01-01")), config);

    assertThat(settings.secrets()).extracting(SecretObject::path)
        .containsExactly("2024", "0440", "true", "1:20", "2024-01-01");
    assertThat(settings.secrets().get(0).extraction()).hasValueSatisfying(
        e -> assertThat(e.key()).isEqualTo("yes"));
    assertThat(settings.secrets().get(1).extraction()).hasValueSatisfying(
        e -> assertThat(e.key()).isEqualTo("on"));
  }

  @Test
  void parse_listOrMappingInAStringField_isInvalidArgumentNamingIt() {
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME + "\n  path: [a, b]"),
        "secrets[0].path must be a single value");
  }

  @Test
  void parse_fieldSetTwice_isInvalidArgument_asGoYamlRefusesIt() {
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME + "\n  path: a\n  path: b"),
        "sets path twice");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0400:256", "0o400:256", "256:256", "0x100:256", "0_400:256", "~:-1",
      "\"0400\":256"})
  void parse_modeInGoYamlsIntegerForms_isReadAsProviderGcpReadsIt(String modeAndValue)
      throws Exception {
    String[] parts = modeAndValue.split(":");
    GcpVolume settings = GcpVolume.parse(Map.of("secrets",
        "- resourceName: " + NAME + "\n  path: a\n  mode: " + parts[0]), config);

    int expected = Integer.parseInt(parts[1]);
    if (expected < 0) {
      assertThat(settings.secrets().get(0).mode()).isEmpty();
    } else {
      assertThat(settings.secrets().get(0).mode()).hasValue(expected);
    }
  }

  @Test
  void parse_decodeBase64_isAccepted_otherDecodingsAreInvalidArgument() throws Exception {
    GcpVolume settings = GcpVolume.parse(Map.of("secrets",
        "- resourceName: " + NAME + "\n  path: a\n  decode: base64"), config);

    assertThat(settings.secrets().get(0).base64()).isTrue();
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME + "\n  path: a\n  decode: hex"),
        "secrets[0].decode is \"hex\"");
  }

  @Test
  void parse_parameterManagerVersion_isInvalidArgumentSayingItIsUnsupported() {
    assertInvalid(Map.of("secrets", "- resourceName: projects/p/locations/global/parameters/cfg/"
        + "versions/v1\n  path: a"), "Parameter Manager parameter version, which Passport does"
        + " not support");
  }

  @Test
  void parse_fileAndDirectoryOfTheSamePath_isInvalidArgumentNamingBoth() {
    assertInvalid(Map.of("secrets", String.join("\n",
        "- resourceName: " + NAME, "  path: a/b",
        "- resourceName: " + NAME, "  path: a")),
        "secrets[1].path \"a\" is a file, and secrets[0].path \"a/b\" needs it to be a directory");
  }

  @ParameterizedTest
  @ValueSource(strings = {"..data", "dir/..hidden", "...", "x/..."})
  void parse_nameStartingWithTwoDots_isInvalidArgument_theVolumeReservesThem(String path) {
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME + "\n  path: '" + path + "'"),
        "starting with \"..\"");
  }

  @Test
  void parse_nameLongerThanNameMax_isInvalidArgument() {
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME + "\n  path: d/" + "n".repeat(256)),
        "longer than 255 bytes");
  }

  @Test
  void parse_missingSecrets_isInvalidArgument() {
    assertInvalid(Map.of(), "volume attribute \"secrets\" is required");
    assertInvalid(Map.of("secrets", "[]"), "non-empty YAML list");
    assertInvalid(Map.of("secrets", "resourceName: " + NAME), "non-empty YAML list");
    assertInvalid(Map.of("secrets", "- [unclosed"), "not valid YAML");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/etc/passwd", "../escape", "a/../../b", "a//b", "dir/", ".", "a\\b"})
  void parse_pathLeavingTheVolume_isInvalidArgument(String path) {
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME + "\n  path: '" + path + "'"),
        "secrets[0].path");
  }

  @Test
  void parse_missingOrDoublePath_isInvalidArgument() {
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME), "needs a path");
    assertInvalid(Map.of("secrets", String.join("\n",
        "- resourceName: " + NAME, "  path: same",
        "- resourceName: projects/p/secrets/t/versions/1", "  path: same")),
        "secrets[1].path \"same\" is also the path of secrets[0]");
  }

  @Test
  void parse_pathAndFileName_pathWinsAsInProviderGcp() throws Exception {
    GcpVolume settings = GcpVolume.parse(
        Map.of("secrets", "- resourceName: " + NAME + "\n  path: a\n  fileName: b"), config);

    assertThat(settings.secrets().get(0).path()).isEqualTo("a");
    assertThat(settings.ignored()).singleElement().asString().startsWith("secrets[0].fileName");
  }

  @Test
  void parse_bothExtractKeys_isInvalidArgument() {
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME
        + "\n  path: a\n  extractJSONKey: k\n  extractYAMLKey: k"), "both extractJSONKey");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1000", "0999", "\"rw\"", "-1", "\"0o1777\""})
  void parse_modeOutOfRangeOrNotOctal_isInvalidArgument(String mode) {
    assertInvalid(Map.of("secrets", "- resourceName: " + NAME + "\n  path: a\n  mode: " + mode),
        "secrets[0].mode");
  }

  @Test
  void parse_modeAsQuotedOctal_isAccepted() throws Exception {
    GcpVolume settings = GcpVolume.parse(Map.of("secrets",
        "- resourceName: " + NAME + "\n  path: a\n  mode: \"0o640\""), config);

    assertThat(settings.secrets().get(0).mode()).hasValue(0640);
  }

  /**
   * Issue 17 item 3: a pool accepts both forms by default; provider-gcp's docs put
   * {@code //iam.googleapis.com/…} in the CSIDriver's tokenRequests, Passport defaulted to the
   * https form. Neither is required, whichever kubelet sent is used, and neither is refused.
   */
  @Test
  void parse_poolProviderWithoutAudience_takesEitherFormKubeletSent() throws Exception {
    GcpVolume settings = GcpVolume.parse(secrets(NAME), config);
    dev.passport.api.Pod pod = dev.passport.api.Pod.of("ns", "app", "uid-1", "sa");
    dev.passport.api.ServiceAccountToken token = dev.passport.api.ServiceAccountToken.of("t",
        java.time.Instant.parse("2026-12-01T12:00:00Z"));

    assertThat(settings.audiences()).isEmpty();
    assertThat(settings.optionalAudiences()).containsExactly("https:" + PROVIDER, PROVIDER);
    for (String sent : java.util.List.of(PROVIDER, "https:" + PROVIDER)) {
      dev.passport.api.FetchRequest request = dev.passport.api.FetchRequest.builder()
          .volumeId("csi-1").pod(pod).tokens(Map.of(sent, token))
          .deadline(java.time.Instant.EPOCH).build();
      assertThat(settings.withTokenOf(request).audience()).contains(sent);
    }
    dev.passport.api.FetchRequest none = dev.passport.api.FetchRequest.builder()
        .volumeId("csi-1").pod(pod).deadline(java.time.Instant.EPOCH).build();
    assertThatThrownBy(() -> settings.withTokenOf(none))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED))
        .hasMessageContaining(PROVIDER).hasMessageContaining("tokenRequests");
  }

  @Test
  void parse_configuredAudience_isRequired_asAreGkeIdentityNamespaces() throws Exception {
    Map<String, String> attributes = new HashMap<>(secrets(NAME));
    attributes.put("audience", "my-audience");

    assertThat(GcpVolume.parse(attributes, config).audiences()).containsExactly("my-audience");
    assertThat(GcpVolume.parse(attributes, config).optionalAudiences()).isEmpty();
    GcpVolume gke = GcpVolume.parse(secrets(NAME),
        config(Map.of(GcpConfig.WORKLOAD_IDENTITY_PROVIDER, GKE_PROVIDER)));
    assertThat(gke.audiences()).containsExactly("my-project.svc.id.goog");
    assertThat(gke.optionalAudiences()).isEmpty();
  }

  @Test
  void parse_providerAdc_isRefusedUnlessConfigAllowsIt() throws Exception {
    Map<String, String> attributes = new HashMap<>(secrets(NAME));
    attributes.put("auth", "provider-adc");

    assertInvalid(attributes, "allowProviderAdc=true");
    GcpVolume allowed = GcpVolume.parse(attributes,
        config(Map.of(GcpConfig.ALLOW_PROVIDER_ADC, "true")));
    assertThat(allowed.auth()).isEqualTo(Auth.PROVIDER_ADC);
    assertThat(allowed.audience()).isEmpty();
    assertThat(allowed.audiences()).isEmpty();
  }

  @Test
  void parse_unknownAuth_isInvalidArgument() {
    Map<String, String> attributes = new HashMap<>(secrets(NAME));
    attributes.put("auth", "node-adc");

    assertInvalid(attributes, "\"auth\" is \"node-adc\"");
  }

  @Test
  void parse_noWorkloadIdentityProviderAnywhere_isInvalidArgumentExplainingTheForms() {
    assertThatThrownBy(() -> GcpVolume.parse(secrets(NAME), GcpConfig.googleDefaults()))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("\"workloadIdentityProvider\" is missing")
        .hasMessageContaining("identitynamespace:");
  }

  @Test
  void parse_malformedProviderServiceAccountOrDelegates_isInvalidArgument() {
    Map<String, String> attributes = new HashMap<>(secrets(NAME));
    attributes.put("workloadIdentityProvider", "projects/123/pools/p");
    assertInvalid(attributes, "workloadIdentityProvider");

    attributes = new HashMap<>(secrets(NAME));
    attributes.put("serviceAccount", "not an email");
    assertInvalid(attributes, "serviceAccount");

    attributes = new HashMap<>(secrets(NAME));
    attributes.put("delegates", "a@p.iam.gserviceaccount.com");
    assertInvalid(attributes, "no serviceAccount to impersonate");
  }

  @Test
  void parse_allNumericVersions_isAllPinned() throws Exception {
    GcpVolume settings = GcpVolume.parse(Map.of("secrets", String.join("\n",
        "- resourceName: " + NAME, "  path: a",
        "- resourceName: projects/p/locations/us-west1/secrets/t/versions/12", "  path: b")), config);

    assertThat(settings.allPinned()).isTrue();
  }

  @Test
  void parse_aliasVersion_isNotPinned() throws Exception {
    assertThat(ResourceName.parse("projects/p/secrets/s/versions/prod"))
        .hasValueSatisfying(name -> assertThat(name.pinned()).isFalse());
    assertThat(ResourceName.parse("projects/p/secrets/s/versions/latest"))
        .hasValueSatisfying(name -> assertThat(name.pinned()).isFalse());
    assertThat(ResourceName.parse("projects/p/secrets/s/versions/42"))
        .hasValueSatisfying(name -> assertThat(name.version()).isEqualTo("42"));
    assertThat(ResourceName.parse("projects/p/secrets/s")).isEqualTo(Optional.empty());
  }

  @Test
  void parse_tooManySecrets_isInvalidArgument() {
    StringBuilder yaml = new StringBuilder();
    for (int i = 0; i <= SecretsAttribute.MAX_SECRETS; i++) {
      yaml.append("- {resourceName: ").append(NAME).append(", path: f").append(i).append("}\n");
    }
    assertInvalid(Map.of("secrets", yaml.toString()), "at most " + SecretsAttribute.MAX_SECRETS);
  }

  @Test
  void parse_locationOutsideTheAllowList_isPermissionDeniedNamingTheKey() {
    GcpConfig listed = config(Map.of(GcpConfig.WORKLOAD_IDENTITY_PROVIDER, PROVIDER,
        GcpConfig.ALLOWED_LOCATIONS, "europe-west1"));
    Map<String, String> attributes = Map.of("secrets", String.join("\n",
        "- resourceName: projects/p/locations/europe-west1/secrets/a/versions/1",
        "  path: a",
        "- resourceName: projects/p/locations/metadata/secrets/b/versions/1",
        "  path: b"));

    assertThatThrownBy(() -> GcpVolume.parse(attributes, listed))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED))
        .hasMessageContaining("secrets[1].resourceName")
        .hasMessageContaining("\"metadata\"")
        .hasMessageContaining("allowedLocations");
  }

  @Test
  void parse_regionalSecrets_remoteIsTheFirstOnesRegionalEndpoint() throws Exception {
    GcpVolume settings = GcpVolume.parse(Map.of("secrets", String.join("\n",
        "- resourceName: " + NAME,
        "  path: global",
        "- resourceName: projects/p/locations/us-east1/secrets/a/versions/1",
        "  path: a",
        "- resourceName: projects/p/locations/europe-west1/secrets/b/versions/1",
        "  path: b")), config);

    assertThat(settings.remote()).contains("https://secretmanager.us-east1.rep.googleapis.com:443");
  }

  @Test
  void parse_onlyGlobalSecretsOrOneRegionalHostForAll_hasNoRemoteOfItsOwn() throws Exception {
    Map<String, String> regional = secrets("projects/p/locations/us-east1/secrets/a/versions/1");
    GcpConfig oneHost = config(Map.of(GcpConfig.WORKLOAD_IDENTITY_PROVIDER, PROVIDER,
        GcpConfig.REGIONAL_ENDPOINT_TEMPLATE, "sm.internal:443"));

    assertThat(GcpVolume.parse(secrets(NAME), config).remote()).isEmpty();
    assertThat(GcpVolume.parse(regional, oneHost).remote()).isEmpty();
  }

  private void assertInvalid(Map<String, String> attributes, String messagePart) {
    assertThatThrownBy(() -> GcpVolume.parse(attributes, config))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining(messagePart);
  }

  private static Map<String, String> secrets(String name) {
    return Map.of("secrets", "- resourceName: " + name + "\n  path: file");
  }

  private static GcpConfig config(Map<String, String> values) {
    try {
      return GcpConfig.parse(values);
    } catch (BackendException e) {
      throw new AssertionError(e);
    }
  }
}
