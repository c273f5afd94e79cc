package dev.passport.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.host.logging.FrameLogGuard;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.FakeClock;

/**
 * Plays kubelet against a running Passport host, over its real Unix socket and the real CSI wire
 * protocol: publishes a pod's inline volume with the pod info keys and bound tokens, republishes
 * it on demand, and unpublishes it.
 *
 * <p>Requests are shaped as kubelet's {@code csi_mounter.go} builds them for an inline volume:
 * volume id {@code csi-<sha256(podUID + volumeName)>}, mount access type with access mode
 * {@code SINGLE_NODE_WRITER} (kubelet's ReadWriteOnce default for inline volumes),
 * {@code readonly=true} (what a secret volume's pod spec sets), the pod spec's attributes plus
 * {@code csi.storage.k8s.io/{pod.name, pod.namespace, pod.uid, serviceAccount.name, ephemeral}}
 * (kubelet's values win), the tokens JSON in {@code secrets} or {@code volume_context}, and the
 * pod's fsGroup as {@code volume_mount_group}.
 *
 * <p>Tokens behave as kubelet's token manager: one per (pod, service account, audience, TTL),
 * shared by the pod's volumes, reused on every republish until 80 % of its lifetime has passed on
 * the clock (or 24 h), then replaced by a fresh one. Move a {@link FakeClock} to rotate them.
 *
 * <p>Errors surface as {@link CsiCallException}; tests assert on its status code.
 * Thread-safe; close it to release its connection and event loop thread.
 */
public final class FakeKubelet implements AutoCloseable {

  /** kubelet's timeout for every CSI call ({@code csiTimeout} in {@code csi_plugin.go}). */
  public static final Duration KUBELET_CALL_TIMEOUT = Duration.ofMinutes(2);

  /** volume_context key: the pod's name. */
  public static final String POD_NAME = "csi.storage.k8s.io/pod.name";
  /** volume_context key: the pod's namespace. */
  public static final String POD_NAMESPACE = "csi.storage.k8s.io/pod.namespace";
  /** volume_context key: the pod's UID. */
  public static final String POD_UID = "csi.storage.k8s.io/pod.uid";
  /** volume_context key: the pod's service account. */
  public static final String SERVICE_ACCOUNT_NAME = "csi.storage.k8s.io/serviceAccount.name";
  /** secrets (or volume_context) key: the tokens JSON, see {@link ServiceAccountTokens#tokensJson}. */
  public static final String SERVICE_ACCOUNT_TOKENS = "csi.storage.k8s.io/serviceAccount.tokens";
  /** volume_context key: {@code "true"} for inline volumes. */
  public static final String EPHEMERAL = "csi.storage.k8s.io/ephemeral";

  /** kubelet refreshes a token older than 24 h even when its TTL is longer. */
  private static final Duration MAX_TOKEN_AGE = Duration.ofHours(24);

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final ServiceAccountTokens tokens;
  private final Clock clock;
  private final Duration callTimeout;
  private final EventLoopGroup eventLoop;
  private final ManagedChannel channel;
  private final ConcurrentMap<TokenKey, IssuedToken> tokenCache = new ConcurrentHashMap<>();

  private FakeKubelet(Path socket, ServiceAccountTokens tokens, Clock clock, Duration callTimeout) {
    this.tokens = tokens;
    this.clock = clock;
    this.callTimeout = callTimeout;
    // Our requests carry tokens: never let netty's frame logger hex-dump them at DEBUG.
    FrameLogGuard.install();
    int instance = INSTANCES.incrementAndGet();
    this.eventLoop = new EpollEventLoopGroup(1, runnable -> {
      Thread thread = new Thread(runnable, "fake-kubelet-" + instance);
      thread.setDaemon(true);
      return thread;
    });
    this.channel = NettyChannelBuilder
        .forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class, DomainSocketAddress.class)
        .eventLoopGroup(eventLoop)
        .overrideAuthority("localhost")
        .usePlaintext()
        .directExecutor()
        .build();
  }

  /** Connects to the CSI socket at {@code socket}, with kubelet's two-minute call timeout. */
  public static FakeKubelet connect(Path socket, ServiceAccountTokens tokens, Clock clock) {
    return connect(socket, tokens, clock, KUBELET_CALL_TIMEOUT);
  }

  /**
   * Connects to the CSI socket at {@code socket}; every call fails with DEADLINE_EXCEEDED after
   * {@code callTimeout}.
   */
  public static FakeKubelet connect(Path socket, ServiceAccountTokens tokens, Clock clock,
      Duration callTimeout) {
    requireNonNull(socket, "socket is null");
    requireNonNull(tokens, "tokens is null");
    requireNonNull(clock, "clock is null");
    requireNonNull(callTimeout, "callTimeout is null");
    if (callTimeout.isNegative() || callTimeout.isZero()) {
      throw new IllegalArgumentException("callTimeout is " + callTimeout + ", must be positive");
    }
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException(
          "FakeKubelet needs netty's epoll transport for Unix sockets (Linux x86_64/aarch64)",
          Epoll.unavailabilityCause());
    }
    return new FakeKubelet(socket, tokens, clock, callTimeout);
  }

  /**
   * kubelet's volume id for an inline volume: {@code "csi-" + hex(sha256(podUID + volumeName))}
   * ({@code makeVolumeHandle} in kubernetes {@code pkg/volume/csi/csi_plugin.go}).
   */
  public static String inlineVolumeId(String podUid, String volumeName) {
    requireNonNull(podUid, "podUid is null");
    requireNonNull(volumeName, "volumeName is null");
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((podUid + volumeName).getBytes(UTF_8));
      return "csi-" + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /**
   * kubelet's target for the inline volume {@code volumeName} of pod {@code podUid}:
   * {@code <kubeletDir>/pods/<podUid>/volumes/kubernetes.io~csi/<volumeName>/mount}
   * ({@code getTargetPath} in kubernetes {@code pkg/volume/csi/csi_mounter.go}). The host acts
   * only on targets of this shape below the kubelet dir it was given.
   */
  public static Path targetPath(Path kubeletDir, String podUid, String volumeName) {
    requireNonNull(kubeletDir, "kubeletDir is null");
    requireNonNull(podUid, "podUid is null");
    requireNonNull(volumeName, "volumeName is null");
    return kubeletDir.resolve("pods").resolve(podUid).resolve("volumes")
        .resolve("kubernetes.io~csi").resolve(volumeName).resolve("mount");
  }

  /** Identity.Probe, as the livenessprobe sidecar calls it. */
  public Csi.ProbeResponse probe() {
    return call(() -> identity().probe(Csi.ProbeRequest.getDefaultInstance()));
  }

  /** Identity.GetPluginInfo, as node-driver-registrar calls it. */
  public Csi.GetPluginInfoResponse pluginInfo() {
    return call(() -> identity().getPluginInfo(Csi.GetPluginInfoRequest.getDefaultInstance()));
  }

  /** Identity.GetPluginCapabilities. */
  public Csi.GetPluginCapabilitiesResponse pluginCapabilities() {
    return call(() -> identity().getPluginCapabilities(
        Csi.GetPluginCapabilitiesRequest.getDefaultInstance()));
  }

  /** Node.NodeGetInfo, as kubelet calls it when it registers the driver. */
  public Csi.NodeGetInfoResponse nodeInfo() {
    return call(() -> node().nodeGetInfo(Csi.NodeGetInfoRequest.getDefaultInstance()));
  }

  /** Node.NodeGetCapabilities. */
  public Csi.NodeGetCapabilitiesResponse nodeCapabilities() {
    return call(() -> node().nodeGetCapabilities(Csi.NodeGetCapabilitiesRequest.getDefaultInstance()));
  }

  /**
   * Publishes the volume as kubelet does when the pod starts: creates the target's parent, mints
   * (or reuses) the pod's tokens, and calls NodePublishVolume.
   *
   * @throws CsiCallException with the host's status when it refuses
   */
  public MountedVolume mount(PodVolume spec) {
    requireNonNull(spec, "spec is null");
    try {
      Files.createDirectories(spec.targetPath().getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the parent of " + spec.targetPath(), e);
    }
    Map<String, ServiceAccountToken> current = currentTokens(spec);
    publish(publishRequest(spec, current));
    return new MountedVolume(spec, current);
  }

  /**
   * Calls NodePublishVolume again for a published volume, as kubelet does on every pod sync with
   * {@code requiresRepublish}: the same request, with the pod's current tokens (rotated once 80 %
   * of their TTL has passed on the clock).
   *
   * @throws CsiCallException with the host's status when it refuses
   */
  public void republish(MountedVolume volume) {
    requireNonNull(volume, "volume is null");
    Map<String, ServiceAccountToken> current = currentTokens(volume.spec());
    volume.tokens(current);
    publish(publishRequest(volume.spec(), current));
  }

  /**
   * Calls NodeUnpublishVolume, as kubelet does when the pod is deleted. The target is left as the
   * host leaves it, so tests can check the host removed it.
   */
  public void unmount(MountedVolume volume) {
    requireNonNull(volume, "volume is null");
    unpublish(volume.volumeId(), volume.targetPath());
  }

  /** NodeUnpublishVolume for any id and path, e.g. an unknown volume (must answer OK). */
  public void unpublish(String volumeId, Path targetPath) {
    Csi.NodeUnpublishVolumeRequest request = Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId(requireNonNull(volumeId, "volumeId is null"))
        .setTargetPath(requireNonNull(targetPath, "targetPath is null").toString())
        .build();
    call(() -> node().nodeUnpublishVolume(request));
  }

  /**
   * The NodePublishVolume request kubelet would send for {@code spec} now, with the pod's current
   * tokens; for tests that alter it (fuzzing, forged attributes) and send it with {@link #publish}.
   */
  public Csi.NodePublishVolumeRequest publishRequest(PodVolume spec) {
    return publishRequest(spec, currentTokens(requireNonNull(spec, "spec is null")));
  }

  /**
   * Sends any NodePublishVolume request as is.
   *
   * @throws CsiCallException with the host's status when it refuses
   */
  public Csi.NodePublishVolumeResponse publish(Csi.NodePublishVolumeRequest request) {
    requireNonNull(request, "request is null");
    return call(() -> node().nodePublishVolume(request));
  }

  /**
   * The tokens kubelet holds for the volume's pod now, by audience: cached ones while younger than
   * 80 % of their TTL (and 24 h), fresh ones otherwise.
   */
  public Map<String, ServiceAccountToken> currentTokens(PodVolume spec) {
    Instant now = clock.instant();
    Map<String, ServiceAccountToken> current = new TreeMap<>();
    for (String audience : spec.audiences()) {
      TokenKey key = new TokenKey(spec.pod().uid(), spec.pod().serviceAccount(), audience,
          spec.tokenTtl());
      IssuedToken issued = tokenCache.compute(key, (k, cached) ->
          cached != null && !cached.needsRefresh(now) ? cached : issue(spec.pod(), k, now));
      current.put(audience, issued.token());
    }
    return current;
  }

  /** Closes the connection and stops its event loop thread. */
  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    eventLoop.shutdownGracefully(0, 10, TimeUnit.SECONDS).awaitUninterruptibly(15, TimeUnit.SECONDS);
  }

  private IssuedToken issue(Pod pod, TokenKey key, Instant now) {
    return new IssuedToken(tokens.token(pod, key.audience(), now, key.ttl()), now, key.ttl());
  }

  /**
   * The NodePublishVolume request kubelet would send for {@code spec} with exactly these tokens,
   * e.g. real ones from {@code kubectl create token}.
   */
  public Csi.NodePublishVolumeRequest publishRequest(PodVolume spec,
      Map<String, ServiceAccountToken> current) {
    requireNonNull(spec, "spec is null");
    requireNonNull(current, "current is null");
    Csi.VolumeCapability.MountVolume.Builder mount = Csi.VolumeCapability.MountVolume.newBuilder();
    spec.fsGroup().ifPresent(gid -> mount.setVolumeMountGroup(Long.toString(gid)));

    // the pod spec's attributes first: kubelet's own keys override what a pod tries to forge
    Map<String, String> context = new LinkedHashMap<>(spec.attributes());
    context.put(POD_NAME, spec.pod().name());
    context.put(POD_NAMESPACE, spec.pod().namespace());
    context.put(POD_UID, spec.pod().uid());
    context.put(SERVICE_ACCOUNT_NAME, spec.pod().serviceAccount());
    context.put(EPHEMERAL, "true");

    Csi.NodePublishVolumeRequest.Builder request = Csi.NodePublishVolumeRequest.newBuilder()
        .setVolumeId(spec.volumeId())
        .setTargetPath(spec.targetPath().toString())
        .setVolumeCapability(Csi.VolumeCapability.newBuilder()
            .setMount(mount)
            .setAccessMode(Csi.VolumeCapability.AccessMode.newBuilder()
                .setMode(Csi.VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)))
        .setReadonly(true);
    if (!current.isEmpty()) {
      String json = ServiceAccountTokens.tokensJson(current);
      if (spec.placement() == TokenPlacement.SECRETS) {
        context.remove(SERVICE_ACCOUNT_TOKENS);
        request.putSecrets(SERVICE_ACCOUNT_TOKENS, json);
      } else {
        context.put(SERVICE_ACCOUNT_TOKENS, json);
      }
    }
    return request.putAllVolumeContext(context).build();
  }

  /** gRPC's exception becomes ours: callers need no gRPC of the host's version. */
  private static <T> T call(Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      throw new CsiCallException(CsiCallException.Code.valueOf(e.getStatus().getCode().name()),
          e.getStatus().getDescription(), e);
    }
  }

  private IdentityGrpc.IdentityBlockingStub identity() {
    return IdentityGrpc.newBlockingStub(channel)
        .withDeadlineAfter(callTimeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private NodeGrpc.NodeBlockingStub node() {
    return NodeGrpc.newBlockingStub(channel)
        .withDeadlineAfter(callTimeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private record TokenKey(String podUid, String serviceAccount, String audience, Duration ttl) {}

  private record IssuedToken(ServiceAccountToken token, Instant issuedAt, Duration ttl) {

    /** kubelet's token manager: refresh after 80 % of the TTL, or after 24 h. */
    boolean needsRefresh(Instant now) {
      Instant refreshAt = issuedAt.plus(ttl.multipliedBy(8).dividedBy(10));
      return !now.isBefore(refreshAt) || !now.isBefore(issuedAt.plus(MAX_TOKEN_AGE));
    }

    @Override
    public String toString() {
      return "IssuedToken[issuedAt=" + issuedAt + ", ttl=" + ttl + "]";
    }
  }
}
