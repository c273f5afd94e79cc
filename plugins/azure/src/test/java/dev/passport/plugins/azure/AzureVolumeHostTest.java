package dev.passport.plugins.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.host.PassportHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bound {@link AzureVolume#parse} puts on a pod's attributes, through the CSI socket of the
 * real host: the publish answers INVALID_ARGUMENT saying what to fix, before Entra or Key Vault is
 * asked anything, and the same volume within the bound mounts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AzureVolumeHostTest {

  static final String SECRET = "objectName: db-password\nobjectType: secret";

  @TempDir static Path dir;
  AzureTestbed bed;
  PassportHost host;
  FakeKubelet kubelet;
  final AtomicInteger volumes = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    bed = new AzureTestbed(dir);
    bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cret");
    host = bed.host(dir).start();
    kubelet = FakeKubelet.connect(host.socket(), bed.tokens, bed.clock);
  }

  @AfterAll
  void stop() {
    kubelet.close();
    host.close();
    bed.close();
  }

  /** Each: which attribute, its hostile value, and what the refusal must say. */
  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("keyvaultName", "evil.example.com/x", "[-a-zA-Z0-9]{3,24}"),
        Arguments.of("keyvaultName", "kv", "[-a-zA-Z0-9]{3,24}"),
        Arguments.of("cloudName", "AzureStackCloud", "use AzurePublicCloud, AzureUSGovernmentCloud"),
        Arguments.of("cloudName", "https://login.evil.example/", "AzureChinaCloud"),
        Arguments.of("cloudEnvFileName", "/etc/kubernetes/azure.json",
            "a volume cannot choose endpoints"),
        Arguments.of("tenantId", "evil.example/x?", "give the Entra tenant id"),
        Arguments.of("tenantID", "a".repeat(254), "give the Entra tenant id"),
        Arguments.of("tenantId", "%2e%2e", "give the Entra tenant id"),
        Arguments.of("clientID", "not-a-guid", "give the client id (a GUID)"),
        Arguments.of("usePodIdentity", "True", "authenticates as the pod"),
        Arguments.of("useVMManagedIdentity", "1", "authenticates as the pod"),
        Arguments.of("useAzureTokenProxy", "t", "authenticates as the pod"),
        Arguments.of("usePodIdentity", "yes", "write true or false"),
        Arguments.of("objects", "x".repeat(AzureVolume.MAX_OBJECTS_BYTES + 1),
            "objects is 65537 characters; at most 65536"),
        Arguments.of("objects", objects(AzureVolume.MAX_OBJECTS + 1), "objects lists 101 objects;"
            + " at most 100 per volume"),
        Arguments.of("objects", "a: &a [x, x]\nb: [*a, *a]\narray: []", "failed to yaml unmarshal"),
        Arguments.of("objects", "array: " + "[".repeat(20) + "]".repeat(20),
            "failed to yaml unmarshal"),
        Arguments.of("objects", "array:\n  - |\n    objectName: a\n    objectName: b\n"
            + "    objectType: secret\n", "already defined"),
        Arguments.of("objects", "array: [{objectName: a}]", "each item of array is a YAML string"),
        Arguments.of("objects", AzureTestbed.objects("objectName: a/../../b\nobjectType: secret"),
            "objectName must be a Key Vault object name"),
        Arguments.of("objects", AzureTestbed.objects("objectName: " + "a".repeat(128)
            + "\nobjectType: secret"), "objectName must be a Key Vault object name"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nobjectVersion: ../x"),
            "objectVersion must be a Key Vault version id"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nobjectAlias: ../../etc/x"),
            "file name must not contain '..'"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nobjectAlias: /etc/passwd"),
            "file name must be a relative path"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nobjectAlias: " + "a".repeat(256)),
            "file name is longer than 255 characters"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nfilePermission: \"1777\""),
            "file permission must be a valid octal number from 0000 to 0777"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nfilePermission: 0778"),
            "file permission must be a valid octal number from 0000 to 0777"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nfilePermission: rw-r--r--"),
            "file permission must be a valid octal number from 0000 to 0777"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nobjectVersionHistory: 101"),
            "objectVersionHistory is 101; at most 100"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nobjectVersionHistory: 0x7fffffff"),
            "objectVersionHistory is 2147483647; at most 100"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nobjectVersionHistory: \"5\""),
            "objectVersionHistory must be an integer"),
        Arguments.of("objects", AzureTestbed.objects(SECRET + "\nobjectVersionHistory: 5.5"),
            "objectVersionHistory must be an integer"),
        Arguments.of("objects", AzureTestbed.objects("objectName: a\nobjectType: Secret"),
            "Should be secret, key, or cert"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void attributePastItsBound_isInvalidArgumentBeforeAnyCall(String key, String value,
      String message) {
    int exchanges = bed.entra.tokenRequests();
    int vaultRequests = bed.vault.requests();
    Map<String, String> attributes = AzureTestbed.attributes(AzureTestbed.objects(SECRET));
    attributes.put(key, value);

    Throwable e = catchThrowable(() -> mount(attributes));

    assertThat(e).hasMessageStartingWith("INVALID_ARGUMENT: ").hasMessageContaining(message);
    assertThat(bed.entra.tokenRequests()).isEqualTo(exchanges);
    assertThat(bed.vault.requests()).isEqualTo(vaultRequests);
  }

  @Test
  void boundsThemselves_mount() {
    Map<String, String> attributes = AzureTestbed.attributes(objects(AzureVolume.MAX_OBJECTS));
    attributes.put("tenantID", AzureTestbed.TENANT); // read before tenantId
    attributes.put("tenantId", "other.onmicrosoft.com");
    attributes.put("cloudName", "azurepubliccloud"); // compared upper-cased
    attributes.put("usePodIdentity", "F");

    MountedVolume volume = mount(attributes);

    assertThat(volume.readAll()).hasSize(AzureVolume.MAX_OBJECTS);
    assertThat(volume.read("f99")).isEqualTo("s3cret");
  }

  @Test
  void filePermission_writtenAsGoReadsIt_plainOctalAndQuoted() throws Exception {
    MountedVolume volume = mount(AzureTestbed.attributes(AzureTestbed.objects(
        SECRET + "\nobjectAlias: plain\nfilePermission: 0400",
        SECRET + "\nobjectAlias: quoted\nfilePermission: \"0440\"",
        SECRET + "\nobjectAlias: " + "n".repeat(255) + "\nfilePermission: 0")));

    assertThat(mode(volume, "plain")).isEqualTo("r--------");
    assertThat(mode(volume, "quoted")).isEqualTo("r--r-----");
    assertThat(mode(volume, "n".repeat(255))).isEqualTo("---------");
  }

  @Test
  void twoObjectsOnOneFile_isInvalidArgumentNamingTheFile() {
    Throwable e = catchThrowable(() -> mount(AzureTestbed.attributes(AzureTestbed.objects(
        SECRET + "\nobjectAlias: same", SECRET + "\nobjectAlias: same"))));

    assertThat(e).hasMessageStartingWith("INVALID_ARGUMENT: ")
        .hasMessageContaining("two objects write the file same");
  }

  /** Key Vault pages versions 25 at a time: 41 pages of 1001 versions, then refused. */
  @Test
  void versionHistory_ofAnObjectWithMoreThanAThousandVersions_isRefusedAfterAThousand() {
    for (int i = 0; i <= AzureBackend.MAX_VERSIONS_LISTED; i++) {
      bed.vault.putSecret(AzureTestbed.VAULT, "churning", "v" + i);
    }

    Throwable e = catchThrowable(() -> mount(AzureTestbed.attributes(AzureTestbed.objects(
        "objectName: churning\nobjectType: secret\nobjectVersionHistory: 2"))));

    assertThat(e).hasMessageStartingWith("INTERNAL: ")
        .hasMessageContaining("more than 1000 versions");
    assertThat(bed.vault.reads("secrets", "churning")).isEqualTo(41);
  }

  @Test
  void versionHistory_atTheBound_writesEveryVersionNewestFirst() {
    for (int i = 0; i < 30; i++) {
      bed.vault.putSecret(AzureTestbed.VAULT, "paged", "v" + i);
    }

    MountedVolume volume = mount(AzureTestbed.attributes(AzureTestbed.objects(
        "objectName: paged\nobjectType: secret\nobjectVersionHistory: 100")));

    assertThat(volume.readAll()).hasSize(30).containsEntry("paged/0", "v29")
        .containsEntry("paged/29", "v0");
  }

  private MountedVolume mount(Map<String, String> attributes) {
    return kubelet.mount(bed.volume(dir, "v" + volumes.incrementAndGet(),
        new HashMap<>(attributes)));
  }

  private static String mode(MountedVolume volume, String name) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(volume.file(name)));
  }

  /** n secret objects, files f0..f(n-1), all of db-password. */
  private static String objects(int n) {
    String[] items = new String[n];
    for (int i = 0; i < n; i++) {
      items[i] = SECRET + "\nobjectAlias: f" + i;
    }
    return AzureTestbed.objects(items);
  }
}
