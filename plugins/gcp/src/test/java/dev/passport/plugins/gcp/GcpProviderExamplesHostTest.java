package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.AUDIENCE;
import static dev.passport.plugins.gcp.GcpTestbed.SERVICE_ACCOUNT;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * secrets-store-csi-driver-provider-gcp v1.15's own SecretProviderClasses ({@code examples/} and
 * {@code test/e2e/templates/}), their {@code parameters} copied into the volume attributes as a
 * migrating user copies them (with {@code $PROJECT_ID} = test-project, {@code $LOCATION_ID} =
 * us-central1, {@code $TEST_SECRET_ID} = csi-test), published through the real host over the CSI
 * socket against the fake STS, IAM Credentials (fractional-second expireTime, as Google answers)
 * and Secret Manager. Each test states what provider-gcp writes for the same secrets: the file
 * names and contents, and the modes (a secret's {@code mode}, else the secrets-store driver's
 * 0644, which is also Passport's default). One host serves every test (each mounts for a new pod),
 * so the suite costs one host start; call counts are compared before and after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcpProviderExamplesHostTest {

  static final String SECRET = "projects/test-project/secrets/csi-test/versions/latest";
  static final String REGIONAL_SECRET =
      "projects/test-project/locations/us-central1/secrets/csi-test/versions/latest";
  static final String TESTSECRET = "projects/test-project/secrets/testsecret/versions/latest";
  static final String REGIONAL_TESTSECRET =
      "projects/test-project/locations/us-central1/secrets/testsecret/versions/latest";
  static final String EXTRACT = "projects/test-project/secrets/csi-test-extract/versions/latest";

  // static: one directory for the class-wide host (an instance @TempDir is replaced per test)
  @TempDir static Path dir;
  GcpTestbed bed;
  PassportHost host;
  FakeKubelet kubelet;

  @BeforeAll
  void start() throws Exception {
    bed = new GcpTestbed(dir);
    bed.global.put(SECRET, "projects/123/secrets/csi-test/versions/1", "global-v1".getBytes(UTF_8));
    bed.regional.put(REGIONAL_SECRET, "projects/123/locations/us-central1/secrets/csi-test/"
        + "versions/1", "regional-v1".getBytes(UTF_8));
    bed.global.put(TESTSECRET, "projects/123/secrets/testsecret/versions/2",
        "{\"user\":\"alice\",\"password\":\"pw\"}".getBytes(UTF_8));
    bed.regional.put(REGIONAL_TESTSECRET, "projects/123/locations/us-central1/secrets/testsecret/"
        + "versions/1", "{\"user\":\"regional-alice\"}".getBytes(UTF_8));
    bed.global.put(EXTRACT, "projects/123/secrets/csi-test-extract/versions/1",
        "{\"user\":\"e2e-user\",\"other\":1}".getBytes(UTF_8));
    host = bed.host(dir).start();
    kubelet = FakeKubelet.connect(host.socket(), bed.tokens, bed.clock);
  }

  @AfterAll
  void stop() throws Exception {
    kubelet.close();
    host.close();
    assertThat(bed.auth.problems()).isEmpty();
    bed.close();
  }

  @Test
  void examplesAppSecrets_twoFilesOfOneSecret_writtenWithTheDefaultMode() {
    MountedVolume volume = mount("""
        - resourceName: "projects/test-project/secrets/testsecret/versions/latest"
          path: "good1.txt"
        - resourceName: "projects/test-project/secrets/testsecret/versions/latest"
          path: "good2.txt"
        """);

    String json = "{\"user\":\"alice\",\"password\":\"pw\"}";
    assertThat(volume.readAll()).isEqualTo(Map.of("good1.txt", json, "good2.txt", json));
    assertThat(modes(volume, "good1.txt", "good2.txt"))
        .isEqualTo(Map.of("good1.txt", "rw-r--r--", "good2.txt", "rw-r--r--"));
  }

  @Test
  void examplesAppSecretsWithExtractKey_globalAndRegional_writeTheUserValue() {
    MountedVolume volume = mount("""
        - resourceName: "projects/test-project/secrets/testsecret/versions/latest"
          path: "good1.txt"
          extractJSONKey: "user"
        - resourceName: "projects/test-project/locations/us-central1/secrets/testsecret/versions/latest"
          path: "good2.txt"
          extractJSONKey: "user"
        """);

    assertThat(volume.readAll())
        .isEqualTo(Map.of("good1.txt", "alice", "good2.txt", "regional-alice"));
    assertThat(modes(volume, "good1.txt", "good2.txt"))
        .isEqualTo(Map.of("good1.txt", "rw-r--r--", "good2.txt", "rw-r--r--"));
  }

  @Test
  void e2eTestMode_unquotedOctal0400_isOwnerReadOnly() {
    MountedVolume volume = mount("""
        - resourceName: "projects/test-project/secrets/csi-test/versions/latest"
          path: "csi-test"
          mode: 0400
        - resourceName: "projects/test-project/locations/us-central1/secrets/csi-test/versions/latest"
          path: "csi-test-regional"
          mode: 0400
        """);

    assertThat(volume.readAll())
        .isEqualTo(Map.of("csi-test", "global-v1", "csi-test-regional", "regional-v1"));
    assertThat(modes(volume, "csi-test", "csi-test-regional"))
        .isEqualTo(Map.of("csi-test", "r--------", "csi-test-regional", "r--------"));
  }

  @Test
  void e2eTestNested_pathWithDirectories_isWrittenThere() {
    MountedVolume volume = mount("""
        - resourceName: "projects/test-project/secrets/csi-test/versions/latest"
          path: "my/nested/path/csi-test"
        """);

    assertThat(volume.readAll()).isEqualTo(Map.of("my/nested/path/csi-test", "global-v1"));
  }

  @Test
  void e2eTestExtractKey_withImpersonation_writesTheKeysValue() {
    // provider-gcp would impersonate the KSA's iam.gke.io/gcp-service-account; here the attribute
    int before = bed.auth.impersonations().size();
    MountedVolume volume = mount("""
        - resourceName: "projects/test-project/secrets/csi-test-extract/versions/latest"
          path: "extract"
          extractJSONKey: "user"
        """, Map.of(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT));

    assertThat(volume.readAll()).isEqualTo(Map.of("extract", "e2e-user"));
    assertThat(bed.auth.impersonations()).hasSize(before + 1);
  }

  @Test
  void e2eTestPodAndRotate_globalAndRegional_unquotedPathToo() {
    MountedVolume volume = mount("""
        - resourceName: "projects/test-project/secrets/csi-test/versions/latest"
          path: "rotate"
        - resourceName: "projects/test-project/locations/us-central1/secrets/csi-test/versions/latest"
          path: regional-rotate
        """);

    assertThat(volume.readAll())
        .isEqualTo(Map.of("rotate", "global-v1", "regional-rotate", "regional-v1"));
  }

  @Test
  void e2eTestInvalid_dotDotInPath_isRefusedBeforeGoogleIsRead() {
    int exchanges = bed.auth.exchanges().size();
    int reads = bed.global.calls(SECRET);
    Throwable e = catchThrowable(() -> mount("""
        - resourceName: "projects/test-project/secrets/csi-test/versions/latest"
          path: "my/invalid/../path/csi-test"
        """));

    assertThat(e).hasMessageStartingWith("INVALID_ARGUMENT: ").hasMessageContaining("secrets[0].path");
    assertThat(bed.auth.exchanges()).hasSize(exchanges);
    assertThat(bed.global.calls(SECRET)).isEqualTo(reads);
  }

  @Test
  void examplesAppParameters_parameterManager_isRefusedAsUnsupported() {
    Throwable e = catchThrowable(() -> mount("""
        - resourceName: "projects/test-project/locations/us-central1/parameters/testparameter/versions/testversion"
          path: "good1.txt"
        """));

    assertThat(e).hasMessageStartingWith("INVALID_ARGUMENT: ")
        .hasMessageContaining("Parameter Manager").hasMessageContaining("does not support");
  }

  @Test
  void copiedPodVolume_leftoverSecretProviderClassAndUnknownField_stillMounts() {
    MountedVolume volume = mount("""
        - resourceName: "projects/test-project/secrets/csi-test/versions/latest"
          fileName: "legacy-name"
          path: "csi-test"
          encoding: utf-8
        """, Map.of(GcpVolume.SECRET_PROVIDER_CLASS, "app-secrets"));

    assertThat(volume.readAll()).isEqualTo(Map.of("csi-test", "global-v1"));
  }

  @Test
  void clashingPaths_fileAndDirectory_refusedBeforeGoogleIsRead() {
    int exchanges = bed.auth.exchanges().size();
    Throwable e = catchThrowable(() -> mount("""
        - resourceName: "projects/test-project/secrets/csi-test/versions/latest"
          path: "a"
        - resourceName: "projects/test-project/secrets/testsecret/versions/latest"
          path: "a/b"
        """));

    assertThat(e).hasMessageStartingWith("INVALID_ARGUMENT: ").hasMessageContaining("directory");
    assertThat(bed.auth.exchanges()).hasSize(exchanges);
  }

  private MountedVolume mount(String secrets) {
    return mount(secrets, Map.of());
  }

  private MountedVolume mount(String secrets, Map<String, String> extra) {
    Map<String, String> attributes = new HashMap<>(extra);
    attributes.put("backend", "gcp");
    attributes.put(GcpVolume.SECRETS, secrets);
    return kubelet.mount(PodVolume.of(bed.pod(), "secrets", dir.resolve("kubelet"), attributes,
        Set.of(AUDIENCE)));
  }

  private static Map<String, String> modes(MountedVolume volume, String... names) {
    Map<String, String> modes = new TreeMap<>();
    for (String name : names) {
      try {
        modes.put(name, PosixFilePermissions.toString(
            Files.getPosixFilePermissions(volume.file(name))));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return modes;
  }
}
