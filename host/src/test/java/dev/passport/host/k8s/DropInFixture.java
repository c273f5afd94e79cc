package dev.passport.host.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.testing.TestHosts;
import dev.passport.testkit.FakeClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The drop-in tests' shared set-up: a host on a real socket whose volumes may name a
 * SecretProviderClass, kubelet's NodePublishVolume for a pod in {@link #NAMESPACE}, and waits for
 * the informer (its watch is asynchronous: every wait is for a condition, bounded).
 */
final class DropInFixture {

  static final Instant START = Instant.parse("2026-12-01T10:00:00Z");
  static final String NAMESPACE = "shop";

  private DropInFixture() {}

  /**
   * A host builder for {@code dir} with {@code clock}; the refresh interval is long enough that no
   * republish in a test is due, so counts are the cache's and the informer's.
   */
  static PassportHost.Builder builder(Path dir, FakeClock clock) throws IOException {
    return TestHosts.builder(dir, dir.resolve("kubelet"))
        .clock(clock)
        .refreshInterval(Duration.ofHours(1));
  }

  /** A started host and a CSI client on its socket, driven as kubelet drives it. */
  static final class Node implements AutoCloseable {
    final PassportHost host;
    final CsiClient client;
    final Path kubelet;

    Node(PassportHost.Builder builder, Path kubelet) throws Exception {
      this.host = builder.start();
      this.client = new CsiClient(host.socket());
      this.kubelet = kubelet;
    }

    /** NodePublishVolume for pod web-0 of {@link #NAMESPACE} with a token for {@code audience}. */
    Path publish(String volumeId, Map<String, String> attributes, String audience) {
      Csi.NodePublishVolumeRequest.Builder request = request(volumeId, attributes, audience);
      client.node().withDeadlineAfter(30, TimeUnit.SECONDS).nodePublishVolume(request.build());
      return Path.of(request.getTargetPath());
    }

    /** The request {@link #publish} sends, to add {@code secrets} to. */
    Csi.NodePublishVolumeRequest.Builder request(String volumeId, Map<String, String> attributes,
        String audience) {
      Path target = Requests.target(kubelet, volumeId);
      String tokens = Requests.tokensJson(Map.of(audience, "pod-token"), START.plus(Duration.ofHours(1)));
      Csi.NodePublishVolumeRequest.Builder request = Requests.publish(volumeId, target, attributes, tokens);
      request.putVolumeContext("csi.storage.k8s.io/pod.namespace", NAMESPACE);
      return request;
    }

    @Override
    public void close() {
      client.close();
      host.close();
    }
  }

  /** The files a container sees (name → content), without the writer's timestamped directory. */
  static Map<String, String> visibleFiles(Path target) throws IOException {
    return TestHosts.visibleFiles(target);
  }

  static void assertStatus(Throwable e, Status.Code code, String inMessage) {
    assertThat(e).isInstanceOf(StatusRuntimeException.class);
    Status status = ((StatusRuntimeException) e).getStatus();
    assertThat(status.getCode()).as(status.getDescription()).isEqualTo(code);
    assertThat(status.getDescription()).contains(inMessage);
  }

  /** Waits until the informer delivered the class (the watch is asynchronous). */
  static void awaitClass(SecretProviderClasses classes, String namespace, String name)
      throws Exception {
    awaitUntil(() -> present(classes, namespace, name));
  }

  static void awaitParameter(SecretProviderClasses classes, String namespace, String name,
      String key, String value) throws Exception {
    awaitUntil(() -> classes.find(namespace, name).map(c -> value.equals(c.parameters().get(key)))
        .orElse(false));
  }

  private static boolean present(SecretProviderClasses classes, String namespace, String name) {
    try {
      return classes.find(namespace, name).isPresent();
    } catch (SecretProviderClassException e) {
      // a class the informer delivered but Passport refuses: present all the same
      return !e.retryable();
    }
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void awaitUntil(Condition condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the informer did not deliver the change within 30 s");
      }
      Thread.sleep(5);
    }
  }

  /** The test shares one informer across hosts: the host closes what it is given, so wrap it. */
  static SecretProviderClasses unclosed(SecretProviderClasses delegate) {
    return new SecretProviderClasses() {
      @Override
      public Optional<SecretProviderClass> find(String namespace, String name)
          throws SecretProviderClassException {
        return delegate.find(namespace, name);
      }

      @Override
      public String describe() {
        return delegate.describe();
      }

      @Override
      public void close() {}
    };
  }
}
