package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultCsiProviderClasses.DB_CREDS;
import static dev.passport.plugins.vault.VaultCsiProviderClasses.kv2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.k8s.KubernetesAccess;
import dev.passport.host.k8s.SecretProviderClassException;
import dev.passport.host.k8s.SecretProviderClasses;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.Pods;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRequest;
import dev.passport.tools.vault.VaultRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Drop-in mode (issue 19) with the vault plugin: SecretProviderClasses transcribed from the
 * incumbents' documentation and tests, served by fabric8's mock API server (CRUD mode, the SPC
 * CRD) to the real host, which lists and watches them through {@code --kubeconfig}'s code path
 * ({@link KubernetesAccess}); pods whose volumes say only {@code secretProviderClass}, mounted by a
 * fake kubelet over the CSI socket against the Vault-API dev server. Each class's files (names,
 * bytes, modes) must be those of an inline volume with the same parameters; republishes must cost
 * the API server nothing and Vault what an inline volume costs; a changed class must be used at
 * the next republish. (The bats classes' bytes are checked against vault-csi-provider's own in
 * {@link VaultCsiProviderFidelityHostTest}; here the two paths are compared.) One API server, one
 * Vault and one host for the class keep it to seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaultDropInHostTest {

  /** kubelet's pod sync: every 60–90 s; 20 of them span 30 minutes, inside the host's refresh. */
  private static final Duration POD_SYNC = Duration.ofSeconds(90);
  private static final Duration AWAIT = Duration.ofSeconds(30);

  /**
   * secrets-store-csi-driver's Vault class (test/bats/tests/vault/vault_v1_secretproviderclass.yaml,
   * the sample its usage guide links), in namespace {@code default}; its {@code vaultAddress}
   * ({@code http://vault.vault:8200}) becomes the dev server's.
   */
  private static Map<String, String> vaultFoo(String vaultAddress) {
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("roleName", "csi");
    parameters.put("vaultAddress", vaultAddress);
    parameters.put("objects", """
        - secretPath: "secret/data/foo"
          objectName: "bar"
          secretKey: "bar"
        - secretPath: "secret/data/foo1"
          objectName: "bar1"
          secretKey: "bar1"
        """);
    return parameters;
  }

  /** secrets-store-csi-driver's rotation class (test/bats/tests/vault/pod-vault-rotation.yaml). */
  private static Map<String, String> vaultRotation(String vaultAddress, String objects) {
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("roleName", "csi");
    parameters.put("vaultAddress", vaultAddress);
    parameters.put("objects", objects);
    return parameters;
  }

  private static final String ROTATION_OBJECTS = """
      - secretPath: "secret/data/rotation"
        objectName: "foo"
        secretKey: "foo"
      """;

  /**
   * developer.hashicorp.com, "Vault Secrets Store CSI provider examples", file based dynamic
   * database credentials ({@code vault-db-creds}): written there as {@code v1alpha1}, which the
   * API server serves as {@code v1} (the same schema and storage), and so is applied here.
   */
  private static final Map<String, String> HASHICORP_DB_CREDS = Map.of("roleName", "app",
      "objects", """
      - objectName: "dbUsername"
        secretPath: "database/creds/db-app"
        secretKey: "username"
      - objectName: "dbPassword"
        secretPath: "database/creds/db-app"
        secretKey: "password"
      """);

  /**
   * vault-csi-provider's bats classes by their metadata.name, in namespace {@code test};
   * vault-kv-sync-1 without its {@code secretObjects} (syncing them to Secrets is the host's
   * SecretSyncEndToEndTest's; here only the volume's files are compared).
   */
  private static final Map<String, Map<String, String>> BATS_CLASSES = Map.of(
      "vault-kv", VaultCsiProviderClasses.VAULT_KV,
      "vault-kv-sync-1", VaultCsiProviderClasses.VAULT_KV_SYNC_MULTIPLE,
      "vault-pki", VaultCsiProviderClasses.VAULT_PKI,
      "vault-db", VaultCsiProviderClasses.VAULT_DB,
      "vault-all", VaultCsiProviderClasses.VAULT_ALL,
      "vault-kv-jwt-auth", VaultCsiProviderClasses.VAULT_KV_JWT,
      "vault-kv-namespace", VaultCsiProviderClasses.VAULT_KV_NAMESPACE,
      "vault-kv-custom-audience", VaultCsiProviderClasses.VAULT_KV_CUSTOM_AUDIENCE);

  @TempDir static Path dir;
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(this::secrets);

  private final AtomicInteger pods = new AtomicInteger();
  private SecretProviderClassApi api;
  private SecretProviderClasses classes;
  private VaultHost rig;
  private VaultDevServer vault;
  private FakeKubelet kubelet;

  @BeforeAll
  void start() throws Exception {
    rig = VaultHost.start();
    vault = rig.vault;
    VaultCsiProviderClasses.setUp(vault);
    // secrets-store-csi-driver's vault.bats: role csi for default/default, vault kv put secret/foo ...
    vault.addRole("kubernetes", VaultRole.of("csi", "default", "default"));
    vault.answerVerbatim("secret/data/foo", kv2("bar", "hello"));
    vault.answerVerbatim("secret/data/foo1", kv2("bar1", "hello1"));
    vault.answerVerbatim("secret/data/rotation", kv2("foo", "start"));
    // the HashiCorp example's Deployment runs as service account app
    vault.addRole("kubernetes", VaultRole.of("app", "default", "app"));
    vault.answerVerbatim("database/creds/db-app", DB_CREDS.replace("test-role", "db-app"));

    api = new SecretProviderClassApi();
    BATS_CLASSES.forEach((name, parameters) -> api.apply("test", name, "vault", parameters));
    api.apply("default", "vault-foo", "vault", vaultFoo(vault.address()));
    api.apply("default", "vault-rotation", "vault", vaultRotation(vault.address(), ROTATION_OBJECTS));
    api.apply("default", "vault-db-creds", "vault", HASHICORP_DB_CREDS);
    // as the CLI's --kubeconfig does; the host closes it
    classes = KubernetesAccess.secretProviderClasses(
        Optional.of(api.writeDriverKubeconfig(dir.resolve("kubeconfig"))), Map.of(), AWAIT);
    kubelet = rig.startHost(dir, Map.of(), host -> host
        .refreshInterval(Duration.ofHours(1))
        .fetchTimeout(Duration.ofSeconds(20))
        .secretProviderClasses(classes, Map.of())).kubelet();
    // the first list may outlast the sync wait on a loaded machine: lookups wait for it, so do we
    awaitClass("default", "vault-db-creds", parameters -> true);
  }

  @AfterAll
  void stop() {
    try {
      rig.close();
    } finally {
      api.close();
    }
  }

  private Set<String> secrets() {
    Set<String> secrets = new HashSet<>(rig.secrets());
    secrets.add(SecretProviderClassApi.DRIVER_TOKEN);
    return secrets;
  }

  static Stream<Arguments> batsClasses() {
    return BATS_CLASSES.keySet().stream().sorted().map(Arguments::of);
  }

  @ParameterizedTest
  @MethodSource("batsClasses")
  void vaultCsiProviderClass_podNamingOnlyTheClass_getsTheInlineVolumesFiles(String name)
      throws Exception {
    Map<String, String> parameters = BATS_CLASSES.get(name);
    Set<String> audiences = Set.of(parameters.getOrDefault("audience", "vault"));
    Pod pod = pod("test", "kv");

    MountedVolume dropIn = kubelet.mount(rig.volume(pod, "drop-in",
        Map.of("secretProviderClass", name), audiences));
    MountedVolume inline = kubelet.mount(rig.volume(pod, "inline", inline(parameters), audiences));

    assertThat(files(dropIn)).as(name).isNotEmpty().isEqualTo(files(inline));
  }

  @Test
  void secretsStoreCsiDriverVaultFoo_podNamingOnlyTheClass_getsTheInlineVolumesFiles()
      throws Exception {
    Pod pod = pod("default", "default");
    MountedVolume dropIn = kubelet.mount(rig.volume(pod, "secrets-store-inline",
        Map.of("secretProviderClass", "vault-foo"), Set.of("vault")));
    MountedVolume inline = kubelet.mount(rig.volume(pod, "inline", inline(vaultFoo(vault.address())),
        Set.of("vault")));

    // vault.bats: cat /mnt/secrets-store/bar is hello, bar1 is hello1
    assertThat(dropIn.read("bar")).isEqualTo("hello");
    assertThat(dropIn.read("bar1")).isEqualTo("hello1");
    assertThat(files(dropIn)).isEqualTo(files(inline));
  }

  @Test
  void hashicorpDocsDbCreds_podNamingOnlyTheClass_getsTheInlineVolumesFiles() throws Exception {
    Pod pod = pod("default", "app");
    MountedVolume dropIn = kubelet.mount(rig.volume(pod, "vault-db-creds",
        Map.of("secretProviderClass", "vault-db-creds"), Set.of("vault")));
    MountedVolume inline = kubelet.mount(rig.volume(pod, "inline", inline(HASHICORP_DB_CREDS),
        Set.of("vault")));

    assertThat(dropIn.read("dbUsername")).isEqualTo("v-kubernet-test-rol-Xy7sK2fQ-1764158400");
    assertThat(files(dropIn)).isEqualTo(files(inline));
  }

  @Test
  void twentyRepublishes_noKubernetesApiRequest_andTheVaultCallsOfAnInlineVolume()
      throws Exception {
    assertThat(api.driverRequests()).as("the informer's first list, before the host started")
        .anyMatch(r -> r.startsWith("GET ") && !SecretProviderClassApi.isWatch(r));
    long apiRequests = nonWatchDriverRequests();
    int beforeDropIn = vault.requests().size();
    republish20Times(mountForANewPod(Map.of("secretProviderClass", "vault-foo")));
    long dropInApiRequests = nonWatchDriverRequests() - apiRequests;
    List<VaultRequest> dropIn = vaultRequestsSince(beforeDropIn);

    int beforeInline = vault.requests().size();
    republish20Times(mountForANewPod(inline(vaultFoo(vault.address()))));
    List<VaultRequest> inline = vaultRequestsSince(beforeInline);

    // the informer's watch is one long request, open whatever the pods do: not counted
    assertThat(dropInApiRequests).as("Kubernetes API requests of the mount and 20 republishes")
        .isZero();
    assertThat(dropIn).as("Vault requests of the mount and 20 republishes").isEqualTo(inline);
    // one login and one read per secret, as VaultThroughHostTest counts for an inline volume; the
    // dev server takes only a pod's signed token of the role's service account, never the driver's
    assertThat(dropIn).filteredOn(r -> r.kind() == VaultRequest.Kind.LOGIN).hasSize(1);
    assertThat(dropIn).filteredOn(r -> r.kind() == VaultRequest.Kind.READ)
        .extracting(VaultRequest::path).containsExactlyInAnyOrder("secret/data/foo", "secret/data/foo1");
  }

  @Test
  void classGainsAnObject_isUsedAtTheNextRepublish_likeTheSameChangeInline() throws Exception {
    Pod pod = pod("default", "default");
    MountedVolume volume = kubelet.mount(rig.volume(pod, "secrets-store-rotation",
        Map.of("secretProviderClass", "vault-rotation"), Set.of("vault")));
    assertThat(volume.readAll()).isEqualTo(Map.of("foo", "start"));
    String changed = ROTATION_OBJECTS + """
        - secretPath: "secret/data/foo"
          objectName: "bar"
          secretKey: "bar"
        """;

    api.apply("default", "vault-rotation", "vault", vaultRotation(vault.address(), changed));
    awaitClass("default", "vault-rotation", parameters -> changed.equals(parameters.get("objects")));
    long reads = vault.reads("secret/data/foo");
    rig.clock.advance(POD_SYNC);
    kubelet.republish(volume);

    assertThat(volume.readAll()).isEqualTo(Map.of("foo", "start", "bar", "hello"));
    assertThat(vault.reads("secret/data/foo") - reads).isEqualTo(1);
    MountedVolume inline = kubelet.mount(rig.volume(pod, "inline",
        inline(vaultRotation(vault.address(), changed)), Set.of("vault")));
    assertThat(files(volume)).isEqualTo(files(inline));
  }

  /** The requests Vault received since {@code from} (an index into its request log). */
  private List<VaultRequest> vaultRequestsSince(int from) {
    List<VaultRequest> requests = vault.requests();
    return List.copyOf(requests.subList(from, requests.size()));
  }

  /** A volume of a new pod (default/default), mounted by kubelet. */
  private MountedVolume mountForANewPod(Map<String, String> attributes) {
    return kubelet.mount(rig.volume(pod("default", "default"), "secrets", attributes,
        Set.of("vault")));
  }

  /** 20 of kubelet's pod syncs, each a republish; the files stay as they were. */
  private void republish20Times(MountedVolume volume) throws IOException {
    SortedMap<String, String> mounted = files(volume);
    for (int i = 0; i < 20; i++) {
      rig.clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }
    assertThat(files(volume)).isEqualTo(mounted);
  }

  private long nonWatchDriverRequests() throws InterruptedException {
    return api.driverRequests().stream().filter(r -> !SecretProviderClassApi.isWatch(r)).count();
  }

  /** A new pod (its own uid, so its own Vault login) of {@code serviceAccount} in {@code namespace}. */
  private Pod pod(String namespace, String serviceAccount) {
    return Pods.pod(namespace, "pod-" + pods.incrementAndGet(), serviceAccount);
  }

  /** The class's parameters as an inline volume's attributes. */
  private static Map<String, String> inline(Map<String, String> parameters) {
    Map<String, String> attributes = new HashMap<>(parameters);
    attributes.put("backend", "vault");
    return attributes;
  }

  /** What the pod sees: each file's path, mode and bytes. */
  private static SortedMap<String, String> files(MountedVolume volume) throws IOException {
    SortedMap<String, String> files = new TreeMap<>();
    for (String name : volume.readAll().keySet()) {
      Path file = volume.file(name);
      files.put(name, PosixFilePermissions.toString(Files.getPosixFilePermissions(file)) + " "
          + Base64.getEncoder().encodeToString(Files.readAllBytes(file)));
    }
    return files;
  }

  private interface ClassCondition {
    boolean holds(Map<String, String> parameters);
  }

  /** Waits until the host's informer holds the class and its parameters satisfy {@code condition}. */
  private void awaitClass(String namespace, String name, ClassCondition condition)
      throws Exception {
    long deadline = System.nanoTime() + AWAIT.toNanos();
    while (!holds(namespace, name, condition)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the host's informer did not deliver SecretProviderClass "
            + namespace + "/" + name + " as expected within " + AWAIT);
      }
      TimeUnit.MILLISECONDS.sleep(10); // polling the informer's store, not waiting for time
    }
  }

  private boolean holds(String namespace, String name, ClassCondition condition) {
    try {
      return classes.find(namespace, name).map(c -> condition.holds(c.parameters())).orElse(false);
    } catch (SecretProviderClassException e) {
      return false; // not listed yet
    }
  }
}
