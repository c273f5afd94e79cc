package dev.passport.host.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import dev.passport.host.cache.StateStore;
import dev.passport.host.metrics.CountingMetrics;
import dev.passport.host.plugins.BackendRegistry;
import dev.passport.host.publish.PublishException.Code;
import dev.passport.host.publish.VolumeReconciler.Outcome;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.MountMode;
import dev.passport.host.volume.Mounter;
import dev.passport.testkit.FakeClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publisher and the reconciler without a socket: directory mounts, an in-process backend,
 * a fake clock and a fixed jitter source.
 */
class PublisherTest {

  private static final Instant START = Instant.parse("2026-11-26T10:00:00Z");
  private static final String AUDIENCE = "recording";

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(START);
  private final CountingMetrics metrics = CountingMetrics.create();
  private final RecordingFactory backend = new RecordingFactory();
  private BackendRegistry registry;
  private VolumeReconciler reconciler;
  private Publisher publisher;

  @BeforeEach
  void start() throws Exception {
    registry = BackendRegistry.builder().factory(backend, Map.of()).metrics(metrics).build();
    reconciler = VolumeReconciler.builder()
        .clock(clock)
        .mounter(Mounter.forMode(MountMode.DIRECTORY))
        .store(new StateStore(dir.resolve("state")))
        .metrics(metrics)
        .refreshInterval(Duration.ofMinutes(10))
        // Due exactly 10 minutes after a fetch (no jitter, no republish lookahead): the tests step
        // to that instant.
        .random(() -> 0.0)
        .republishPeriod(Duration.ZERO)
        .build();
    publisher = new Publisher(registry, reconciler, "passport.csi.dev", metrics,
        new KubeletTargets(dir));
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  @Test
  void publish_newVolume_fetchesAndWrites() throws Exception {
    assertThat(publisher.publish(request("v1", token(START.plusSeconds(3600)))))
        .isEqualTo(Outcome.FETCHED_AND_WRITTEN);

    assertThat(Files.readString(target("v1").resolve("secret"))).isEqualTo("s1");
    assertThat(backend.fetches.get()).isEqualTo(1);
  }

  @Test
  void republish_tokenUnchangedAndNotDue_makesNoBackendCall() throws Exception {
    String tokens = token(START.plusSeconds(3600));
    publisher.publish(request("v1", tokens));
    clock.advance(Duration.ofMinutes(10).minusSeconds(1));

    assertThat(publisher.publish(request("v1", tokens))).isEqualTo(Outcome.CACHED);
    assertThat(backend.fetches.get()).isEqualTo(1);
    assertThat(metrics.count("cache_hit{backend=recording}")).isEqualTo(1);
  }

  @Test
  void republish_dueExactlyAtTheRefreshInstant_fetchesAndSkipsTheUnchangedWrite() throws Exception {
    String tokens = token(START.plusSeconds(3600));
    publisher.publish(request("v1", tokens));
    clock.advance(Duration.ofMinutes(10));

    assertThat(publisher.publish(request("v1", tokens))).isEqualTo(Outcome.FETCHED_UNCHANGED);
    assertThat(backend.fetches.get()).isEqualTo(2);
    assertThat(metrics.count("write_skipped{backend=recording}")).isEqualTo(1);
  }

  @Test
  void republish_tokenRotated_fetchesAlthoughNotDue() throws Exception {
    publisher.publish(request("v1", token(START.plusSeconds(3600))));

    assertThat(publisher.publish(request("v1", token(START.plusSeconds(7200)))))
        .isEqualTo(Outcome.FETCHED_UNCHANGED);
    assertThat(backend.fetches.get()).isEqualTo(2);
  }

  @Test
  void republish_volumeTamperedAndNotDue_rewritesFromTheCacheWithoutBackendCall() throws Exception {
    String tokens = token(START.plusSeconds(3600));
    publisher.publish(request("v1", tokens));
    Files.writeString(target("v1").resolve("..data").toRealPath().resolve("secret"), "evil");

    assertThat(publisher.publish(request("v1", tokens))).isEqualTo(Outcome.REWRITTEN);
    assertThat(Files.readString(target("v1").resolve("secret"))).isEqualTo("s1");
    assertThat(backend.fetches.get()).isEqualTo(1);
  }

  @Test
  void fetches_tellTheBackendWhy_andGiveItThePreviousMaterialAndThePodsFsGroup() throws Exception {
    PublishRequest first = withFsGroup(request("v1", token(START.plusSeconds(3600))), "2000");
    publisher.publish(first);
    clock.advance(Duration.ofMinutes(1));
    publisher.publish(withFsGroup(request("v1", token(START.plusSeconds(7200))), "2000"));
    clock.advance(Duration.ofMinutes(10));
    publisher.publish(withFsGroup(request("v1", token(START.plusSeconds(7200))), "2000"));

    assertThat(backend.requests).extracting(FetchRequest::reason).containsExactly(
        FetchRequest.Reason.INITIAL, FetchRequest.Reason.TOKENS_ROTATED, FetchRequest.Reason.DUE);
    FetchRequest rotated = backend.requests.get(1);
    assertThat(rotated.previous()).hasValueSatisfying(previous -> assertThat(previous.file("secret"))
        .hasValueSatisfying(file -> assertThat(file.content()).asString().isEqualTo("s1")));
    assertThat(backend.requests).allSatisfy(
        request -> assertThat(request.mountGroup()).hasValue(2000));
  }

  @Test
  void optionalAudiences_arePassedWhenSent_neverRequired_andNoOtherTokenReachesTheBackend()
      throws Exception {
    PublishRequest sent = optional(request("v1", Requests.tokensJson(Map.of(AUDIENCE, "eyJ.a",
        "kubernetes", "eyJ.b"), START.plusSeconds(3600))));
    publisher.publish(sent);
    assertThat(backend.requests.get(0).tokens()).containsOnlyKeys(AUDIENCE);

    // Neither optional audience sent: the host does not refuse; the backend says what it lacks.
    PublishRequest none = optional(request("v2", Requests.tokensJson(Map.of("kubernetes", "eyJ.c"),
        START.plusSeconds(3600))));
    assertThatThrownBy(() -> publisher.publish(none))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(Code.UNAUTHENTICATED))
        .hasMessageContaining("\"" + AUDIENCE + "\"");
    assertThat(backend.fetches.get()).isEqualTo(1);
  }

  private static PublishRequest optional(PublishRequest request) {
    Map<String, String> context = new java.util.HashMap<>(request.volumeContext());
    context.put("optional", "true");
    return new PublishRequest(request.volumeId(), request.targetPath(), request.capability(),
        request.readonly(), context, request.secrets());
  }

  private static PublishRequest withFsGroup(PublishRequest request, String gid) {
    return new PublishRequest(request.volumeId(), request.targetPath(),
        new PublishRequest.Capability(false, gid), request.readonly(), request.volumeContext(),
        request.secrets());
  }

  @Test
  void republish_refreshFails_keepsContentAnswersUnavailableAndBacksOff() throws Exception {
    String tokens = token(START.plusSeconds(3600));
    publisher.publish(request("v1", tokens));
    clock.advance(Duration.ofMinutes(10));
    backend.failure = new BackendException(BackendException.Kind.UNAVAILABLE, "vault is down");

    assertThatThrownBy(() -> publisher.publish(request("v1", tokens)))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(Code.UNAVAILABLE))
        .hasMessageContaining("keeps its current content")
        .hasMessageContaining("vault is down");
    // The first backoff is 5 s less its 20 % jitter at the fixed source's 0.0: 4 s. Inside it, no
    // backend call.
    assertThat(reconciler.volumes().state("v1").orElseThrow().nextAttemptAt())
        .isEqualTo(clock.instant().plusSeconds(4));
    clock.advance(Duration.ofSeconds(3));
    assertThatThrownBy(() -> publisher.publish(request("v1", tokens)))
        .hasMessageContaining("is backing off until");
    assertThat(backend.fetches.get()).isEqualTo(2);
    assertThat(Files.readString(target("v1").resolve("secret"))).isEqualTo("s1");
  }

  @Test
  void publish_firstPublishFails_leavesNothingBehind() throws Exception {
    backend.failure = new BackendException(BackendException.Kind.PERMISSION_DENIED, "denied");

    assertThatThrownBy(() -> publisher.publish(request("v1", token(START.plusSeconds(3600)))))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(Code.PERMISSION_DENIED))
        .hasMessage("backend recording: denied");
    assertThat(target("v1")).doesNotExist();
    assertThat(reconciler.volumes().count()).isZero();
  }

  @Test
  void publish_backendRateLimited_answersResourceExhausted() throws Exception {
    backend.failure = new BackendException(BackendException.Kind.RESOURCE_EXHAUSTED, "429");

    assertThatThrownBy(() -> publisher.publish(request("v1", token(START.plusSeconds(3600)))))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(Code.RESOURCE_EXHAUSTED));
  }

  @Test
  void publish_sameAttributesManyTimes_preparesOnce() throws Exception {
    String tokens = token(START.plusSeconds(3600));
    for (int i = 0; i < 3; i++) {
      publisher.publish(request("v" + i, tokens));
    }

    assertThat(backend.prepares.get()).isEqualTo(1);
  }

  @Test
  void publish_tokenForTheNeededAudienceMissing_failsNamingAudienceAndCsiDriver() {
    assertThatThrownBy(() -> publisher.publish(request("v1",
        Requests.tokensJson(Map.of("other", "jwt"), START.plusSeconds(3600)))))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(Code.UNAUTHENTICATED))
        .hasMessageContaining("audience \"recording\"")
        .hasMessageContaining("CSIDriver passport.csi.dev");
    assertThat(backend.fetches.get()).isZero();
  }

  @Test
  void publish_unknownBackend_failsListingTheServedOnes() {
    Map<String, String> context = new HashMap<>(request("v1", token(START)).volumeContext());
    context.put("backend", "nope");

    assertThatThrownBy(() -> publisher.publish(new PublishRequest("v1", target("v1").toString(),
        new PublishRequest.Capability(false, ""), true, context, Map.of())))
        .hasMessageContaining("unknown backend \"nope\"")
        .hasMessageContaining("[recording]");
  }

  @Test
  void unpublish_publishedVolume_removesTargetAndStateAndReleases() throws Exception {
    publisher.publish(request("v1", token(START.plusSeconds(3600))));

    publisher.unpublish("v1", target("v1").toString());

    assertThat(target("v1")).doesNotExist();
    assertThat(reconciler.volumes().state("v1")).isEmpty();
    assertThat(backend.released).containsExactly("v1");
  }

  private Path target(String volumeId) {
    return dir.resolve("pods/uid-1/volumes/kubernetes.io~csi").resolve(volumeId).resolve("mount");
  }

  private PublishRequest request(String volumeId, String tokens) {
    try {
      Files.createDirectories(target(volumeId).getParent());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Map<String, String> context = Map.of(
        "backend", RecordingFactory.NAME,
        "csi.storage.k8s.io/pod.namespace", "shop",
        "csi.storage.k8s.io/pod.name", "web-0",
        "csi.storage.k8s.io/pod.uid", "uid-1",
        "csi.storage.k8s.io/serviceAccount.name", "web",
        "csi.storage.k8s.io/serviceAccount.tokens", tokens);
    return new PublishRequest(volumeId, target(volumeId).toString(),
        new PublishRequest.Capability(false, ""), true, context, Map.of());
  }

  private static String token(Instant expiry) {
    return Requests.tokensJson(Map.of(AUDIENCE, "eyJ.pod-token"), expiry);
  }

  /** An in-process backend that counts prepares and fetches and fails when told to. */
  private static final class RecordingFactory implements BackendFactory {
    static final String NAME = "recording";
    final AtomicInteger prepares = new AtomicInteger();
    final AtomicInteger fetches = new AtomicInteger();
    final List<String> released = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<FetchRequest> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile BackendException failure;

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public Backend<?> create(Map<String, String> config, BackendContext context) {
      return new Backend<PreparedVolume>() {
        @Override
        public PreparedVolume prepare(Map<String, String> attributes) {
          prepares.incrementAndGet();
          if (attributes.containsKey("optional")) {
            return new PreparedVolume() {
              @Override
              public Set<String> audiences() {
                return Set.of();
              }

              @Override
              public Set<String> optionalAudiences() {
                return Set.of(AUDIENCE, "alternative");
              }
            };
          }
          return () -> Set.of(AUDIENCE);
        }

        @Override
        public Material fetch(PreparedVolume volume, FetchRequest request) throws BackendException {
          request.token(AUDIENCE);
          fetches.incrementAndGet();
          requests.add(request);
          if (failure != null) {
            throw failure;
          }
          return Material.of(List.of(MaterialFile.of("secret", "s1".getBytes(StandardCharsets.UTF_8))));
        }

        @Override
        public void release(String volumeId) {
          released.add(volumeId);
        }

        @Override
        public void close() {}
      };
    }
  }
}
