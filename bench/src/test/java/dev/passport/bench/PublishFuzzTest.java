package dev.passport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import dev.passport.host.cache.StateStore;
import dev.passport.host.metrics.HostMetrics;
import dev.passport.host.plugins.BackendRegistry;
import dev.passport.host.plugins.PluginLoadException;
import dev.passport.host.publish.PublishException;
import dev.passport.host.publish.PublishRequest;
import dev.passport.host.publish.KubeletTargets;
import dev.passport.host.publish.Publisher;
import dev.passport.host.publish.VolumeReconciler;
import dev.passport.host.volume.MountMode;
import dev.passport.host.volume.Mounter;
import dev.passport.testkit.LogHygiene;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;

/**
 * R3 (issue 9): Jazzer fuzzes the request parsing and validation path — volume_context keys and
 * values, the tokens JSON, the backend's attribute values, the file names, modes and sizes a backend
 * returns, fsGroup — through the host's {@link Publisher}, the class the CSI layer hands every
 * NodePublishVolume to. Invariants: the only exception is {@link PublishException} with a code of
 * the allowed set (INTERNAL only for material the host refused, never an "unexpected" one), nothing
 * is written outside the target and the state dir, no token appears in a message, and unpublish
 * leaves nothing behind.
 *
 * <p>Surefire runs it in its own JVM (Jazzer instruments classes) with {@code JAZZER_FUZZ=1}:
 * {@code bench.r3.seconds} of fuzzing on every verify (20 s in CI; the pom's value overrides the
 * annotation's); {@code -Plong} raises it to at least 1.2 M executions. Without
 * {@code JAZZER_FUZZ} it replays its seeds only. Counts go to {@code target/r3-executions.txt}.
 */
class PublishFuzzTest {

  private static final Set<PublishException.Code> ALLOWED = EnumSet.of(
      PublishException.Code.INVALID_ARGUMENT, PublishException.Code.UNAUTHENTICATED,
      PublishException.Code.PERMISSION_DENIED, PublishException.Code.NOT_FOUND,
      PublishException.Code.FAILED_PRECONDITION, PublishException.Code.UNAVAILABLE,
      PublishException.Code.DEADLINE_EXCEEDED, PublishException.Code.RESOURCE_EXHAUSTED,
      PublishException.Code.INTERNAL);
  private static final String[] CONTEXT_KEYS = {
      "backend", "csi.storage.k8s.io/pod.name", "csi.storage.k8s.io/pod.namespace",
      "csi.storage.k8s.io/pod.uid", "csi.storage.k8s.io/serviceAccount.name",
      "csi.storage.k8s.io/ephemeral", Kubelet.TOKENS_KEY, "audience", "files", "mode", "path"};
  private static final String TOKEN_KEY = Kubelet.TOKENS_KEY;

  private static final AtomicLong EXECUTIONS = new AtomicLong();
  private static final AtomicLong ACCEPTED = new AtomicLong();
  private static final Map<String, AtomicLong> CODES = new java.util.concurrent.ConcurrentHashMap<>();
  private static Sandbox sandbox;

  @FuzzTest(maxDuration = "20s")
  void publish_fuzzedRequestAndMaterial_onlyMappedFailures_noWriteOutsideTarget(FuzzedDataProvider data)
      throws Exception {
    Sandbox box = sandbox();
    EXECUTIONS.incrementAndGet();
    FuzzBackend.current = data;
    String token = "fuzz-token-" + EXECUTIONS.get() + "-" + data.consumeInt();
    String volumeId = data.consumeBoolean() ? "vol-" + data.consumeInt(0, 3) : data.consumeString(40);
    // kubelet's shape for t0..t3 (their parents exist, as kubelet creates them); anything else fuzzed
    String target = data.consumeBoolean() ? box.pods + "/t" + data.consumeInt(0, 3) + "/mount"
        : box.pods + "/" + data.consumeString(30);
    if (!insideSandbox(target, box.pods)) {
      return; // a fuzzed path may name any file of this machine: never hand it to a root process
    }
    Map<String, String> context = new HashMap<>();
    if (data.consumeBoolean()) {
      context.put("backend", "fuzz");
      context.put("csi.storage.k8s.io/pod.name", "p");
      context.put("csi.storage.k8s.io/pod.namespace", "ns");
      context.put("csi.storage.k8s.io/pod.uid", "uid");
      context.put("csi.storage.k8s.io/serviceAccount.name", "sa");
    }
    int extra = data.consumeInt(0, 4);
    for (int i = 0; i < extra; i++) {
      String key = data.consumeBoolean() ? data.pickValue(CONTEXT_KEYS) : data.consumeString(20);
      context.put(key, data.consumeString(60));
    }
    Map<String, String> secrets = new HashMap<>();
    if (data.consumeBoolean()) {
      String audience = data.consumeBoolean() ? "fuzz" : data.consumeString(10);
      String expiry = data.consumeBoolean() ? "2030-01-01T00:00:00Z" : data.consumeString(25);
      secrets.put(TOKEN_KEY, data.consumeBoolean()
          ? Kubelet.tokensJson(Map.of(audience, token), java.time.Instant.parse("2030-01-01T00:00:00Z"))
              .replace("2030-01-01T00:00:00Z", expiry.replace("\"", ""))
          : data.consumeString(80));
    }
    PublishRequest.Capability capability = data.consumeBoolean() ? null
        : new PublishRequest.Capability(data.consumeBoolean() && data.consumeBoolean(),
            data.consumeBoolean() ? "" : data.consumeString(8));
    PublishRequest request = new PublishRequest(volumeId, target, capability, true, context, secrets);
    List<String> secretsMinted = List.of(token);

    try {
      box.publisher.publish(request);
      ACCEPTED.incrementAndGet();
      CODES.computeIfAbsent("OK", k -> new AtomicLong()).incrementAndGet();
    } catch (PublishException e) {
      CODES.computeIfAbsent(e.code().name(), k -> new AtomicLong()).incrementAndGet();
      assertThat(ALLOWED).as("code of " + e.getMessage()).contains(e.code());
      if (e.code() == PublishException.Code.INTERNAL) {
        assertThat(e.getMessage()).as("INTERNAL must be a mapped failure").doesNotContain("unexpected");
      }
      LogHygiene.assertNoSecrets(secretsMinted, e);
    } finally {
      FuzzBackend.current = null;
    }
    box.assertNothingOutside(Path.of(target));
    try {
      box.publisher.unpublish(volumeId, target);
    } catch (PublishException e) {
      assertThat(e.code()).as(e.getMessage()).isIn(PublishException.Code.INVALID_ARGUMENT);
    }
    box.assertEmpty();
  }

  @AfterAll
  static void report() throws IOException {
    String line = String.format("R3: %d executions, %d accepted publishes, codes %s%n",
        EXECUTIONS.get(), ACCEPTED.get(), new java.util.TreeMap<>(CODES));
    System.out.print(line);
    Files.writeString(Path.of("target", "r3-executions.txt"), line);
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static boolean insideSandbox(String target, Path pods) {
    try {
      Path path = Path.of(target);
      return path.normalize().startsWith(pods) && !path.normalize().equals(pods);
    } catch (InvalidPathException e) {
      return false;
    }
  }

  private static synchronized Sandbox sandbox() throws IOException {
    if (sandbox == null) {
      sandbox = new Sandbox();
    }
    return sandbox;
  }

  /**
   * A temporary root with a kubelet dir (targets: {@code pods/uid/volumes/kubernetes.io~csi/t<n>/mount})
   * and state/; the publisher may write nowhere else, and leaves only that skeleton behind.
   */
  private static final class Sandbox implements AutoCloseable {
    final Path root = Files.createTempDirectory("passport-fuzz");
    final Path kubelet = root.resolve("kubelet");
    final Path pods = Files.createDirectories(
        kubelet.resolve("pods/uid/volumes/kubernetes.io~csi"));
    final Path state = Files.createDirectories(root.resolve("state"));
    final java.util.Set<Path> skeleton;
    final BackendRegistry backends;
    final Publisher publisher;

    Sandbox() throws IOException {
      VolumeReconciler reconciler = VolumeReconciler.builder()
          .mounter(Mounter.forMode(MountMode.DIRECTORY))
          .store(new StateStore(state))
          .build();
      try {
        // the host's own decorator chain (deadline, log context, metric) around the fuzz backend
        backends = BackendRegistry.builder().factory(new FuzzBackendFactory(), Map.of()).build();
      } catch (PluginLoadException e) {
        throw new IllegalStateException("the fuzz backend did not register", e);
      }
      publisher = new Publisher(backends, reconciler, "passport.csi.dev", HostMetrics.none(),
          new KubeletTargets(kubelet));
      for (int i = 0; i < 4; i++) {
        Files.createDirectories(pods.resolve("t" + i));
      }
      try (Stream<Path> all = Files.walk(root)) {
        skeleton = java.util.Set.copyOf(all.toList());
      }
    }

    void assertNothingOutside(Path target) throws IOException {
      Path normalized = target.normalize();
      try (Stream<Path> all = Files.walk(root)) {
        for (Path path : all.toList()) {
          boolean allowed = skeleton.contains(path) || path.startsWith(state)
              || path.startsWith(normalized);
          assertThat(allowed).as("written outside the target " + target + ": " + path).isTrue();
        }
      }
    }

    void assertEmpty() throws IOException {
      try (Stream<Path> left = Stream.concat(Files.walk(kubelet), Files.list(state))) {
        List<Path> leftovers = left.filter(p -> !skeleton.contains(p)).toList();
        assertThat(leftovers).as("left after unpublish").isEmpty();
      }
    }

    @Override
    public void close() throws IOException {
      backends.close();
      try (Stream<Path> all = Files.walk(root)) {
        for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }

  /**
   * A backend whose answers come from the fuzzer: attribute validation outcomes, failures of any
   * kind, and material with fuzzed paths, modes and sizes.
   */
  private static final class FuzzBackend implements Backend<FuzzVolume> {
    /** The input being executed; publishes run one at a time, fetches on the host's executor. */
    static volatile FuzzedDataProvider current;

    @Override
    public FuzzVolume prepare(Map<String, String> attributes) throws BackendException {
      FuzzedDataProvider data = current;
      if (data != null && data.consumeBoolean() && data.consumeBoolean()) {
        throw new BackendException(BackendException.Kind.INVALID_ARGUMENT,
            "attribute " + attributes.keySet() + " rejected");
      }
      return new FuzzVolume();
    }

    @Override
    public Material fetch(FuzzVolume volume, FetchRequest request) throws BackendException {
      request.token("fuzz");
      FuzzedDataProvider data = current;
      if (data == null) {
        return Material.of(List.of(MaterialFile.of("a", new byte[] {1})));
      }
      synchronized (data) {
        if (data.consumeBoolean() && data.consumeBoolean()) {
          throw new BackendException(data.pickValue(BackendException.Kind.values()), "fuzzed failure");
        }
        int count = data.consumeInt(0, 5);
        List<MaterialFile> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          String path = data.consumeBoolean() ? "f" + i : data.consumeString(40);
          byte[] content = data.consumeBytes(data.consumeInt(0, 64));
          files.add(MaterialFile.of(path, content, data.consumeInt(0, 0777)));
        }
        try {
          return Material.of(files);
        } catch (IllegalArgumentException e) {
          throw new BackendException(BackendException.Kind.INTERNAL, "material rejected by the API");
        }
      }
    }

    @Override
    public void close() {}
  }

  /** Every fuzzed volume needs the one audience. */
  private record FuzzVolume() implements PreparedVolume {
    @Override
    public Set<String> audiences() {
      return Set.of("fuzz");
    }
  }

  private static final class FuzzBackendFactory implements BackendFactory {
    @Override
    public String name() {
      return "fuzz";
    }

    @Override
    public Backend<?> create(Map<String, String> config, BackendContext context) {
      return new FuzzBackend();
    }
  }

  static {
    // Fail loudly rather than fuzz nothing when the sandbox cannot be made.
    try {
      sandbox();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
