package dev.passport.host.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.api.BackendException;
import dev.passport.host.PassportHost;
import dev.passport.host.cache.RefreshRule;
import dev.passport.host.testing.CountingBackend;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconciler through the real host and socket, with simulated time: kubelet's cadence
 * (75 s), its token rotation (80 % of a 1 h TTL), backend outages and host restarts.
 */
class ReconcilerSimulationTest {

  private static final Instant START = Instant.parse("2026-11-26T10:00:00Z");
  private static final Duration CADENCE = Duration.ofSeconds(75);
  private static final Duration TOKEN_TTL = Duration.ofHours(1);

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(START);
  private final CountingBackend backend = new CountingBackend();
  private PassportHost host;
  private CsiClient client;

  @AfterEach
  void stop() throws Exception {
    stopHost();
  }

  @Test
  void simulatedHour_100Pods_staticMaterial_atMostTwoBackendCallsPerPod() throws Exception {
    startHost(Duration.ofHours(1));
    List<SimulatedPod> pods = pods(100);
    pods.forEach(this::publish);

    runFor(Duration.ofHours(1), pods);

    for (SimulatedPod pod : pods) {
      assertThat(backend.calls(pod.volumeId)).as(pod.volumeId).isBetween(1, 2);
      assertThat(Files.readString(pod.target.resolve("secret"))).isEqualTo("v1");
    }
    // Static content: exactly one write per pod (the first publish); refetches wrote nothing.
    long writes = host.counters().sum("fetch{") - host.counters().sum("write_skipped{");
    assertThat(writes).isEqualTo(100);
    assertThat(host.counters().sum("write_skipped{")).isEqualTo(backend.calls() - 100);
    System.out.printf("simulated hour, 100 pods, 1 h refresh: %d backend calls (%.2f per pod)%n",
        backend.calls(), backend.calls() / 100.0);
  }

  @Test
  void simulatedHour_defaultFiveMinuteInterval_refetchesOnlyWhenDue() throws Exception {
    startHost(Duration.ofMinutes(5));
    List<SimulatedPod> pods = pods(20);
    pods.forEach(this::publish);

    runFor(Duration.ofHours(1), pods);

    // Due 4.5–5 min after each fetch (jitter only earlier) and fetched at the last republish that
    // could otherwise be late (due within 90 s): every third 75 s republish, 225 s apart. 60 min /
    // 225 s = 16, plus the first publish and the rotated token: far below the 49 calls of a driver
    // that reads on every republish.
    for (SimulatedPod pod : pods) {
      assertThat(backend.calls(pod.volumeId)).as(pod.volumeId).isBetween(15, 19);
    }
    System.out.printf("simulated hour, 20 pods, 5 min refresh: %d backend calls (%.2f per pod)%n",
        backend.calls(), backend.calls() / 20.0);
  }

  @Test
  void dynamicMaterial_fetchedOnlyAfterRefreshAt_andSwappedAtomically() throws Exception {
    startHost(Duration.ofMinutes(5));
    backend.refreshAfter(Duration.ofMinutes(10));
    SimulatedPod pod = pods(1).get(0);
    publish(pod);
    backend.secret("v2");

    // Due at 9–10 min (jitter only earlier), fetched once the next republish (≤ 90 s) could be late.
    clock.advance(Duration.ofMinutes(7));
    publish(pod);
    assertThat(backend.calls()).isEqualTo(1);
    assertThat(Files.readString(pod.target.resolve("secret"))).isEqualTo("v1");

    clock.advance(Duration.ofMinutes(3)); // at refreshAt: never later
    publish(pod);
    assertThat(backend.calls()).isEqualTo(2);
    assertThat(Files.readString(pod.target.resolve("secret"))).isEqualTo("v2");
    assertThat(Files.readString(pod.target.resolve("config/app.json"))).isEqualTo("{\"static\":true}");
    assertThat(dataDirs(pod)).hasSize(1);
  }

  @Test
  void backendOutage_30Minutes_keepsContent_answersUnavailable_andBacksOff() throws Exception {
    startHost(Duration.ofMinutes(5));
    List<SimulatedPod> pods = pods(10);
    pods.forEach(this::publish);
    clock.advance(Duration.ofMinutes(6));
    backend.fail(BackendException.Kind.UNAVAILABLE);
    int callsBefore = backend.calls();

    Instant outageEnd = clock.instant().plus(Duration.ofMinutes(30));
    int republishes = 0;
    while (clock.instant().isBefore(outageEnd)) {
      for (SimulatedPod pod : pods) {
        StatusRuntimeException e = publishFailing(pod);
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(Files.readString(pod.target.resolve("secret"))).isEqualTo("v1");
      }
      republishes++;
      clock.advance(CADENCE);
    }

    int outageCalls = backend.calls() - callsBefore;
    // Backoff 5 s doubling to 5 min: about 10 attempts per pod in 30 min instead of one per republish.
    assertThat(outageCalls).isLessThanOrEqualTo(pods.size() * 11).isGreaterThanOrEqualTo(pods.size() * 5);
    assertThat(republishes).isEqualTo(24);
    System.out.printf("outage 30 min, %d pods: %d backend calls for %d republishes (%.1f per pod)%n",
        pods.size(), outageCalls, republishes * pods.size(), outageCalls / (double) pods.size());

    backend.fail(null);
    backend.secret("v2");
    for (SimulatedPod pod : pods) {
      Instant retryAt = host.volumes().state(pod.volumeId).orElseThrow().nextAttemptAt();
      assertThat(retryAt).isAfter(clock.instant().minus(Duration.ofMinutes(6)));
    }
    clock.advance(RefreshRule.MAX_BACKOFF.multipliedBy(2)); // past any backoff window
    for (SimulatedPod pod : pods) {
      publish(pod);
      assertThat(Files.readString(pod.target.resolve("secret"))).isEqualTo("v2");
      assertThat(host.volumes().state(pod.volumeId).orElseThrow().failures()).isZero();
    }
  }

  @Test
  void restart_50Volumes_republishMakesZeroBackendCalls_andContentIsIntact() throws Exception {
    startHost(Duration.ofMinutes(5));
    List<SimulatedPod> pods = pods(50);
    pods.forEach(this::publish);
    assertThat(backend.calls()).isEqualTo(50);
    stopHost();

    startHost(Duration.ofMinutes(5));
    clock.advance(Duration.ofMinutes(2));
    pods.forEach(this::publish);

    assertThat(backend.calls()).isEqualTo(50);
    assertThat(host.counters().sum("cache_hit")).isEqualTo(50);
    for (SimulatedPod pod : pods) {
      assertThat(Files.readString(pod.target.resolve("secret"))).isEqualTo("v1");
    }
    pods.forEach(this::unpublish);
    try (Stream<Path> states = Files.list(dir.resolve("state"))
        .filter(f -> f.getFileName().toString().endsWith(".json"))) {
      assertThat(states).isEmpty();
    }
  }

  @Test
  void restart_volumeUnpublishedWhileDown_forgetsItsState() throws Exception {
    startHost(Duration.ofMinutes(5));
    SimulatedPod pod = pods(1).get(0);
    publish(pod);
    stopHost();
    deleteTree(pod.target);

    startHost(Duration.ofMinutes(5));
    assertThat(host.volumes().count()).isZero();
    try (Stream<Path> states = Files.list(dir.resolve("state"))
        .filter(f -> f.getFileName().toString().endsWith(".json"))) {
      assertThat(states).isEmpty();
    }
  }

  @Test
  void tamperedVolume_isRewrittenFromCache_withoutBackendCall() throws Exception {
    startHost(Duration.ofMinutes(5));
    SimulatedPod pod = pods(1).get(0);
    publish(pod);
    Path realFile = pod.target.resolve("secret").toRealPath();
    Files.setPosixFilePermissions(realFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    Files.writeString(realFile, "tampered");

    clock.advance(CADENCE);
    publish(pod);

    assertThat(Files.readString(pod.target.resolve("secret"))).isEqualTo("v1");
    assertThat(backend.calls()).isEqualTo(1);
  }

  @Test
  void tamperedVolume_sameSize_isDetectedByFingerprint_andRewritten() throws Exception {
    startHost(Duration.ofMinutes(5));
    SimulatedPod pod = pods(1).get(0);
    publish(pod);
    clock.advance(CADENCE);
    publish(pod); // warm: proven by fingerprint, no hashing
    Path realFile = pod.target.resolve("secret").toRealPath();
    Files.setPosixFilePermissions(realFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    Files.writeString(realFile, "v9"); // same size as "v1"

    clock.advance(CADENCE);
    publish(pod);

    assertThat(Files.readString(pod.target.resolve("secret"))).isEqualTo("v1");
    assertThat(backend.calls()).isEqualTo(1);
  }

  @Test
  void stateDir_holdsNoTokenAndNoSecretByte() throws Exception {
    startHost(Duration.ofMinutes(5));
    String secretValue = "top-secret-value-" + System.nanoTime();
    backend.secret(secretValue);
    List<SimulatedPod> pods = pods(5);
    pods.forEach(this::publish);
    clock.advance(Duration.ofMinutes(50));
    pods.forEach(this::publishAnyOutcome);

    List<String> forbidden = new ArrayList<>();
    forbidden.add(secretValue);
    pods.forEach(p -> forbidden.addAll(p.tokensIssued));
    try (Stream<Path> files = Files.walk(dir.resolve("state"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        for (String secret : forbidden) {
          assertThat(text).as(file.toString()).doesNotContain(secret);
        }
        assertThat(Files.getPosixFilePermissions(file))
            .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      }
    }
  }

  // --- the simulated kubelet -------------------------------------------------------------------

  private final class SimulatedPod {
    final String volumeId;
    final Path target;
    final List<String> tokensIssued = new ArrayList<>();
    Instant tokenIssuedAt;
    String token;

    SimulatedPod(int i) {
      volumeId = "csi-" + String.format("%064x", i);
      target = Requests.target(dir.resolve("kubelet"), volumeId);
      rotate();
    }

    /** kubelet's token manager: a new token once 80 % of the TTL has passed. */
    String currentTokens() {
      if (!clock.instant().isBefore(tokenIssuedAt.plus(TOKEN_TTL.multipliedBy(8).dividedBy(10)))) {
        rotate();
      }
      return Requests.tokensJson(Map.of(CountingBackend.AUDIENCE, token), tokenIssuedAt.plus(TOKEN_TTL));
    }

    private void rotate() {
      tokenIssuedAt = clock.instant();
      token = "token-" + volumeId.substring(volumeId.length() - 6) + "-" + System.nanoTime();
      tokensIssued.add(token);
    }
  }

  private List<SimulatedPod> pods(int count) throws IOException {
    List<SimulatedPod> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      SimulatedPod pod = new SimulatedPod(i);
      Files.createDirectories(pod.target.getParent());
      pods.add(pod);
    }
    return pods;
  }

  private void runFor(Duration duration, List<SimulatedPod> pods) {
    Instant end = clock.instant().plus(duration);
    clock.advance(CADENCE);
    while (!clock.instant().isAfter(end)) {
      pods.forEach(this::publish);
      clock.advance(CADENCE);
    }
  }

  private Csi.NodePublishVolumeRequest request(SimulatedPod pod) {
    return Requests.publish(pod.volumeId, pod.target, Map.of("backend", CountingBackend.NAME),
        pod.currentTokens()).build();
  }

  private void publish(SimulatedPod pod) {
    client.node().nodePublishVolume(request(pod));
  }

  private void publishAnyOutcome(SimulatedPod pod) {
    try {
      publish(pod);
    } catch (StatusRuntimeException e) {
      // the outcome does not matter here
    }
  }

  private StatusRuntimeException publishFailing(SimulatedPod pod) {
    try {
      publish(pod);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("publish of " + pod.volumeId + " succeeded during the outage");
  }

  private void unpublish(SimulatedPod pod) {
    client.node().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId(pod.volumeId).setTargetPath(pod.target.toString()).build());
  }

  private static List<Path> dataDirs(SimulatedPod pod) throws IOException {
    try (Stream<Path> entries = Files.list(pod.target)) {
      return entries.filter(p -> p.getFileName().toString().startsWith("..")
          && !p.getFileName().toString().equals("..data") && Files.isDirectory(p)).toList();
    }
  }

  private void startHost(Duration refreshInterval) throws Exception {
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .backendFactory(backend, Map.of())
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .clock(clock)
        .refreshInterval(refreshInterval)
        .start();
    client = new CsiClient(host.socket());
  }

  private void stopHost() throws InterruptedException {
    if (client != null) {
      client.close();
      client = null;
    }
    if (host != null) {
      host.close();
      host = null;
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
