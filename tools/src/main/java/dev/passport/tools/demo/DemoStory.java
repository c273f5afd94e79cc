package dev.passport.tools.demo;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.metrics.CountingMetrics;
import dev.passport.testkit.FakeClock;
import dev.passport.tools.dropin.EmbeddedApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The story every backend tells, over the host's CSI socket: publish, republish from the cache,
 * a rotation picked up when due, unpublish; then the same secret through a drop-in volume that
 * names only its SecretProviderClass.
 */
public final class DemoStory {

  /** kubelet's pod sync: a republish about every minute. */
  static final Duration KUBELET_CADENCE = Duration.ofSeconds(75);
  /** Past the host's default 5 minute refresh interval. */
  static final Duration PAST_REFRESH = Duration.ofMinutes(6);
  /** The password every backend's volume holds, before and after the rotation. */
  public static final String FIRST_PASSWORD = "first-password";
  public static final String ROTATED_PASSWORD = "rotated-password";

  private final FakeKubelet kubelet;
  private final CountingMetrics counters;
  private final FakeClock clock;
  private final Path kubeletDir;
  private final Transcript out;

  public DemoStory(FakeKubelet kubelet, CountingMetrics counters, FakeClock clock, Path kubeletDir,
      Transcript out) {
    this.kubelet = kubelet;
    this.counters = counters;
    this.clock = clock;
    this.kubeletDir = kubeletDir;
    this.out = out;
  }

  /** The SecretProviderClass {@link #dropIn} mounts, for the API server to serve. */
  public static String className(BackendDemo backend) {
    return "app-" + backend.backend();
  }

  /** Publish, republish, rotate, republish, unpublish, with the files and the counts after each. */
  public void lifecycle(BackendDemo backend) {
    Pod pod = pod("web-0");
    Map<String, String> attributes = new HashMap<>(backend.parameters());
    attributes.put("backend", backend.backend());
    MountedVolume volume = kubelet.mount(volume(pod, attributes, backend));
    out.step("Published volume %s for pod %s/%s: kubelet sent the pod's own token for audience"
        + " \"%s\"", volume.volumeId(), pod.namespace(), pod.name(), backend.audience());
    out.files(volume);
    String afterPublish = counts(backend);
    holds(FIRST_PASSWORD.equals(password(volume, backend)),
        "the volume holds the first password");
    holds(backend.exchanges() == 1, "the pod's token was exchanged once");

    clock.advance(KUBELET_CADENCE);
    kubelet.republish(volume);
    out.step("Republished %d s later (kubelet's cadence): answered from the cache",
        KUBELET_CADENCE.toSeconds());
    holds(counts(backend).equals(afterPublish), "the republish cost the backend nothing");

    out.step("%s; advancing the clock %d minutes past the 5 minute refresh interval",
        backend.rotate(), PAST_REFRESH.toMinutes());
    clock.advance(PAST_REFRESH);
    kubelet.republish(volume);
    out.step("Republished: the material was due, so the host fetched it and swapped it in"
        + " atomically");
    out.files(volume);
    counts(backend);
    holds(ROTATED_PASSWORD.equals(password(volume, backend)),
        "the volume holds the rotated password");
    holds(backend.exchanges() == 1,
        "the rotation was read with the credentials of the one exchange");

    kubelet.unmount(volume);
    out.step("Unpublished: %s exists: %s", volume.targetPath(), Files.exists(volume.targetPath()));
    holds(!Files.exists(volume.targetPath()), "the unpublished volume is gone");
  }

  /** Drop-in for secrets-store-csi-driver (issue 19): a volume naming only its SecretProviderClass. */
  public void dropIn(BackendDemo backend, EmbeddedApiServer api) {
    Pod pod = pod("web-1");
    int before = api.requests();
    MountedVolume volume = kubelet.mount(volume(pod,
        Map.of("secretProviderClass", className(backend)), backend));
    out.step("Drop-in for secrets-store-csi-driver: published a volume of pod %s/%s whose only"
        + " attribute is secretProviderClass: %s; the host read SecretProviderClass %s/%s"
        + " (provider: %s) from an embedded API server", pod.namespace(), pod.name(),
        className(backend), pod.namespace(), className(backend), backend.backend());
    out.files(volume);
    holds(ROTATED_PASSWORD.equals(password(volume, backend)),
        "the drop-in volume holds the rotated password");
    kubelet.republish(volume);
    int requests = api.requests() - before;
    out.step("Republished: Kubernetes API requests during both calls: %d (the informer answers"
        + " from memory); another pod, so its own token and its own exchange", requests);
    holds(requests == 0, "the SecretProviderClass came from the informer's memory");
    counts(backend);
    kubelet.unmount(volume);
  }

  private PodVolume volume(Pod pod, Map<String, String> attributes, BackendDemo backend) {
    return PodVolume.of(pod, "secrets", kubeletDir, attributes, Set.of(backend.audience()));
  }

  private static Pod pod(String name) {
    return Pod.of(BackendDemo.NAMESPACE, name, UUID.randomUUID().toString(),
        BackendDemo.SERVICE_ACCOUNT);
  }

  private static String password(MountedVolume volume, BackendDemo backend) {
    return volume.readAll().get(backend.passwordFile());
  }

  /**
   * The transcript's claims are checked as it prints them, so that dist's demo-smoke, which
   * sees only the exit code, fails on a demo that would show something untrue.
   */
  private static void holds(boolean claim, String what) {
    if (!claim) {
      throw new IllegalStateException("passport demo: the transcript says " + what
          + ", but it does not hold (see the lines above)");
    }
  }

  /** Prints the host's and the backend's counts; returns the backend's. */
  private String counts(BackendDemo backend) {
    String label = "{backend=" + backend.backend() + "}";
    out.detail("cache hits %d, misses %d, unchanged writes skipped %d | %s",
        counters.count("cache_hit" + label), counters.count("cache_miss" + label),
        counters.count("write_skipped" + label), backend.counts());
    return backend.counts();
  }
}
