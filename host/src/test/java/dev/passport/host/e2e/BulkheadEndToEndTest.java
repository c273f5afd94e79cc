package dev.passport.host.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.csi.CsiThreads;
import dev.passport.host.e2e.fixture.TarpitBackendFactory;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.MountMode;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's starvation attack through the real socket: volumes whose fetches hang on a server
 * that never answers must not take Probe, other backends' publishes or any unpublish down with
 * them, and fetches past the per-backend and per-remote limits fail at once with UNAVAILABLE.
 * Latencies are printed, not asserted beyond a very generous bound: bench/ measures them.
 */
class BulkheadEndToEndTest {

  private static final int STALLED_VOLUMES = 64;
  private static final int FETCH_THREADS = 12;
  private static final int PER_BACKEND = 8;
  private static final int PER_REMOTE = 4;
  /** What a loaded 2-core machine running a cold JVM can take; the goal is 100 ms (bench/). */
  private static final Duration GENEROUS = Duration.ofSeconds(20);
  private static final String TARPIT_REMOTE = "http://tarpit.example:9";

  @TempDir Path dir;
  private final TarpitBackendFactory tarpit = TarpitBackendFactory.stalled("tarpit");
  private final TarpitBackendFactory healthy = TarpitBackendFactory.healthy("healthy");
  private PassportHost host;
  private CsiClient client;
  private Path kubelet;

  @AfterEach
  void stop() {
    tarpit.open();
    if (client != null) {
      client.close();
    }
    if (host != null) {
      host.close();
    }
  }

  @Test
  void sixtyFourVolumesOnOneStalledRemote_probeHealthyPublishAndOtherUnpublishAnswer_restUnavailable()
      throws Exception {
    start(CsiThreads.defaults());
    publish("healthy-before", "healthy", null);

    Stall stall = stallVolumes(i -> TARPIT_REMOTE, STALLED_VOLUMES - PER_REMOTE);

    assertThat(tarpit.awaitStarted(PER_REMOTE, GENEROUS)).isTrue();
    stall.awaitRefusals();
    assertThat(stall.refusals).allSatisfy(refusal -> {
      assertThat(refusal.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(refusal.getStatus().getDescription())
          .contains(TARPIT_REMOTE, "--max-fetches-per-remote " + PER_REMOTE, "kubelet will retry");
    });
    System.out.printf("over-limit publishes refused after at most %d ms%n", stall.slowestRefusalMillis());

    long[] probeMillis = probeLatencies(200);
    System.out.printf("Probe during the stall of %d volumes: p50 %.2f ms, p99 %.2f ms%n",
        STALLED_VOLUMES, percentile(probeMillis, 50), percentile(probeMillis, 99));
    assertThat(percentile(probeMillis, 99)).isLessThan(GENEROUS.toMillis());
    assertThat(client.node().nodeGetInfo(Csi.NodeGetInfoRequest.getDefaultInstance()).getNodeId())
        .isEqualTo("node-1");

    publish("healthy-during", "healthy", null);
    unpublish("healthy-before");
    assertThat(target("healthy-before")).doesNotExist();
    assertThat(Files.readString(target("healthy-during").resolve("volume")))
        .isEqualTo("healthy-during");
    // The same volume as a running publish: kubelet gets "operation pending" at once, not a wait.
    assertThatThrownBy(() -> unpublish(stall.admittedVolume()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED));

    assertThat(tarpit.mostRunningForOneRemote()).isEqualTo(PER_REMOTE);
    tarpit.open();
    assertThat(stall.awaitAdmitted()).containsOnly("ok");
  }

  @Test
  void volumesOnManyStalledRemotes_holdAtMostThePerBackendLimit_otherBackendsKeepFetching()
      throws Exception {
    start(CsiThreads.defaults());

    Stall stall = stallVolumes(i -> "http://tarpit-" + i + ".example:9",
        STALLED_VOLUMES - PER_BACKEND);

    assertThat(tarpit.awaitStarted(PER_BACKEND, GENEROUS)).isTrue();
    stall.awaitRefusals();
    assertThat(stall.refusals).allSatisfy(refusal -> {
      assertThat(refusal.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(refusal.getStatus().getDescription())
          .contains("backend tarpit", "--max-fetches-per-backend " + PER_BACKEND);
    });
    publish("healthy-during", "healthy", "http://healthy.example:80");

    assertThat(tarpit.mostRunning()).isEqualTo(PER_BACKEND);
    tarpit.open();
    assertThat(stall.awaitAdmitted()).containsOnly("ok");
  }

  @Test
  void fullPublishLane_answersResourceExhaustedAtOnce_probeAndUnpublishStillAnswer()
      throws Exception {
    start(new CsiThreads(2, 1, 4, 128, 2, 64));
    publish("healthy-before", "healthy", null);
    List<ListenableFuture<Csi.NodePublishVolumeResponse>> running = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      running.add(publishAsync("stalled-" + i, "tarpit", "http://tarpit-" + i + ".example:9"));
    }
    assertThat(tarpit.awaitStarted(2, GENEROUS)).isTrue();
    ListenableFuture<Csi.NodePublishVolumeResponse> queued =
        publishAsync("queued", "healthy", null);

    assertThatThrownBy(() -> publish("refused", "healthy", null))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          assertThat(e.getStatus().getDescription())
              .contains("--publish-threads", "kubelet will retry");
        });
    assertThat(host.counters().count(
        "rpc{method=NodePublishVolume,backend=unknown,code=RESOURCE_EXHAUSTED,republish=false}"))
        .isEqualTo(1);
    client.identity().probe(Csi.ProbeRequest.getDefaultInstance());
    unpublish("healthy-before");

    tarpit.open();
    queued.get(GENEROUS.toMillis(), TimeUnit.MILLISECONDS);
    for (ListenableFuture<Csi.NodePublishVolumeResponse> call : running) {
      call.get(GENEROUS.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Test
  void publishCancelledWhileQueued_givesItsPlaceBack() throws Exception {
    start(new CsiThreads(1, 1, 4, 128, 2, 64));
    ListenableFuture<Csi.NodePublishVolumeResponse> stalled =
        publishAsync("stalled", "tarpit", TARPIT_REMOTE);
    assertThat(tarpit.awaitStarted(1, GENEROUS)).isTrue();
    ListenableFuture<Csi.NodePublishVolumeResponse> cancelled =
        publishAsync("cancelled", "healthy", null);

    // kubelet gives up on a call (its timeout): the place in the queue must come back. The cancel
    // reaches the server before the next call on the same connection.
    cancelled.cancel(true);
    ListenableFuture<Csi.NodePublishVolumeResponse> next = publishAsync("next", "healthy", null);

    tarpit.open();
    next.get(GENEROUS.toMillis(), TimeUnit.MILLISECONDS);
    stalled.get(GENEROUS.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(Files.readString(target("next").resolve("volume"))).isEqualTo("next");
  }

  @Test
  void callsOneAfterAnother_onLanesOfOnePlace_eachGiveTheirPlaceBack() throws Exception {
    start(new CsiThreads(1, 0, 1, 0, 1, 0));

    for (int i = 0; i < 5; i++) {
      publish("one-" + i, "healthy", null);
      assertThatThrownBy(() -> publish("bad", "nope", null))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
              assertThat(e.getStatus().getCode()).isNotEqualTo(Status.Code.RESOURCE_EXHAUSTED));
      unpublish("one-" + i);
      client.identity().probe(Csi.ProbeRequest.getDefaultInstance());
    }
  }

  @Test
  void callCarryingTheLaneFullHeader_isServedAsAnyOther() throws Exception {
    start(CsiThreads.defaults());
    Metadata forged = new Metadata();
    forged.put(Metadata.Key.of("x-passport-lane-full", Metadata.ASCII_STRING_MARSHALLER), "publish");

    client.identity().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged))
        .probe(Csi.ProbeRequest.getDefaultInstance());
    client.node().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged))
        .nodePublishVolume(request("forged", "healthy", null));

    assertThat(target("forged").resolve("volume")).exists();
  }

  private void start(CsiThreads lanes) throws Exception {
    kubelet = Files.createDirectories(dir.resolve("kubelet"));
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .nodeId("node-1")
        .backendFactory(tarpit, Map.of())
        .backendFactory(healthy, Map.of())
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(kubelet)
        .fetchTimeout(Duration.ofSeconds(100))
        .csiThreads(lanes)
        .fetchConcurrency(FETCH_THREADS, PER_BACKEND, PER_REMOTE)
        .start();
    client = new CsiClient(host.socket());
  }

  /** 64 publishes on the tarpit at once, as kubelet sends them for 64 new pods. */
  private Stall stallVolumes(IntFunction<String> remote, int expectedRefusals) {
    Stall stall = new Stall(expectedRefusals);
    for (int i = 0; i < STALLED_VOLUMES; i++) {
      String volume = "stalled-" + i;
      long sent = System.nanoTime();
      Futures.addCallback(publishAsync(volume, "tarpit", remote.apply(i)), new FutureCallback<>() {
        @Override
        public void onSuccess(Csi.NodePublishVolumeResponse response) {
          stall.admitted.add(volume);
          stall.done.countDown();
        }

        @Override
        public void onFailure(Throwable t) {
          if (t instanceof StatusRuntimeException e
              && e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
            stall.refusals.add(e);
            stall.refusedVolumes.add(volume);
            stall.refusalMillis.add((System.nanoTime() - sent) / 1_000_000);
            stall.refused.countDown();
          } else {
            stall.failedLate.add(t);
          }
          stall.done.countDown();
        }
      }, MoreExecutors.directExecutor());
      stall.volumes.add(volume);
    }
    return stall;
  }

  /** The 64 calls of {@link #stallVolumes}: which were refused and how fast. */
  private final class Stall {
    final List<String> volumes = new ArrayList<>();
    final Queue<StatusRuntimeException> refusals = new ConcurrentLinkedQueue<>();
    final Queue<Long> refusalMillis = new ConcurrentLinkedQueue<>();
    final Queue<String> admitted = new ConcurrentLinkedQueue<>();
    final Queue<String> refusedVolumes = new ConcurrentLinkedQueue<>();
    final Queue<Throwable> failedLate = new ConcurrentLinkedQueue<>();
    final int expectedRefusals;
    final CountDownLatch refused;
    final CountDownLatch done = new CountDownLatch(STALLED_VOLUMES);

    Stall(int expectedRefusals) {
      this.expectedRefusals = expectedRefusals;
      this.refused = new CountDownLatch(expectedRefusals);
    }

    /** Every call beyond the limit answered; exactly those, since the rest reached the plugin. */
    void awaitRefusals() throws InterruptedException {
      assertThat(refused.await(GENEROUS.toMillis(), TimeUnit.MILLISECONDS))
          .as("refusals within %s", GENEROUS).isTrue();
      assertThat(refusals).hasSize(expectedRefusals);
    }

    long slowestRefusalMillis() {
      return refusalMillis.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** A volume whose publish is running (reached the plugin): not among the refused ones. */
    String admittedVolume() {
      return volumes.stream().filter(volume -> !refusedVolumes.contains(volume))
          .findFirst().orElseThrow();
    }

    /** Once the tarpit is open: what each admitted call got. */
    List<String> awaitAdmitted() throws InterruptedException {
      assertThat(done.await(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(failedLate).isEmpty();
      return admitted.stream().map(volume -> "ok").toList();
    }
  }

  private long[] probeLatencies(int probes) {
    long[] micros = new long[probes];
    for (int i = 0; i < probes; i++) {
      long start = System.nanoTime();
      client.identity().probe(Csi.ProbeRequest.getDefaultInstance());
      micros[i] = (System.nanoTime() - start) / 1_000;
    }
    Arrays.sort(micros);
    return micros;
  }

  /** In milliseconds, from sorted microseconds. */
  private static double percentile(long[] sortedMicros, int percent) {
    int index = Math.min(sortedMicros.length - 1,
        (int) Math.ceil(percent / 100.0 * sortedMicros.length) - 1);
    return sortedMicros[Math.max(0, index)] / 1000.0;
  }

  private Path target(String volume) {
    return Requests.target(kubelet, volume);
  }

  private Csi.NodePublishVolumeRequest request(String volume, String backend, String remote) {
    Map<String, String> attributes = remote == null ? Map.of("backend", backend)
        : Map.of("backend", backend, "remote", remote);
    return Requests.publish(volume, target(volume), attributes,
        Requests.tokensJson(Map.of(backend, "token-" + volume), Instant.now().plusSeconds(3600)))
        .build();
  }

  private void publish(String volume, String backend, String remote) {
    client.node().nodePublishVolume(request(volume, backend, remote));
  }

  private ListenableFuture<Csi.NodePublishVolumeResponse> publishAsync(String volume,
      String backend, String remote) {
    return client.nodeAsync().withDeadlineAfter(GENEROUS.toMillis() * 3, TimeUnit.MILLISECONDS)
        .nodePublishVolume(request(volume, backend, remote));
  }

  private void unpublish(String volume) {
    client.node().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId(volume).setTargetPath(target(volume).toString()).build());
  }
}
