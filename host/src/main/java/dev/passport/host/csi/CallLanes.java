package dev.passport.host.csi;

import static java.util.Objects.requireNonNull;

import com.google.common.util.concurrent.MoreExecutors;
import csi.v1.NodeGrpc;
import dev.passport.host.metrics.HostMetrics;
import dev.passport.host.threads.DaemonThreads;
import io.grpc.Context;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bulkheads for CSI calls (issue 13): NodePublishVolume, NodeUnpublishVolume and everything else
 * (Identity, NodeGetCapabilities, NodeGetInfo) each run on an executor of their own, so that Probe
 * and unpublish never queue behind publishes that wait on a slow backend.
 *
 * <p>grpc-java asks {@link #getExecutor} for each call's executor once it knows the method, on the
 * transport thread, before any interceptor or handler runs. A lane admits a call only while it has
 * a free place (threads + queue); the place is given back when the handler closes the call (before
 * the answer leaves, so a client that sends its next call on receiving it finds the place free),
 * or when the call's {@link Context} is cancelled, which grpc-java does for every call once it
 * ends: also one cancelled by kubelet or one that never left the queue. A call that finds its
 * lane full is marked in its headers and answered RESOURCE_EXHAUSTED at once by
 * {@link #interceptCall} on the transport thread: it takes no thread and no queue place, and
 * kubelet retries it. The executors' own queues
 * are larger than the places, so they never reject (grpc-java would leave such a call unanswered).
 */
final class CallLanes implements ServerCallExecutorSupplier, ServerInterceptor, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CallLanes.class);

  /** Set by this class only (a value a client sent is discarded first). */
  private static final Metadata.Key<String> REFUSED =
      Metadata.Key.of("x-passport-lane-full", Metadata.ASCII_STRING_MARSHALLER);

  private static final String PUBLISH = NodeGrpc.getNodePublishVolumeMethod().getFullMethodName();
  private static final String UNPUBLISH =
      NodeGrpc.getNodeUnpublishVolumeMethod().getFullMethodName();

  private final Lane publish;
  private final Lane unpublish;
  private final Lane control;
  private final HostMetrics metrics;
  /** Admitted calls whose handler has not started yet; grpc-java passes the same call object. */
  private final Map<ServerCall<?, ?>, Place> admitted = new ConcurrentHashMap<>();

  CallLanes(CsiThreads sizes, HostMetrics metrics) {
    requireNonNull(sizes, "sizes is null");
    this.metrics = requireNonNull(metrics, "metrics is null");
    this.publish = new Lane("publish", "NodePublishVolume", sizes.publish(), sizes.publishQueue(),
        "--publish-threads, --publish-queue");
    this.unpublish = new Lane("unpublish", "NodeUnpublishVolume", sizes.unpublish(),
        sizes.unpublishQueue(), null);
    this.control = new Lane("control", "Identity and node info", sizes.control(),
        sizes.controlQueue(), null);
  }

  @Override
  public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
    headers.discardAll(REFUSED);
    Lane lane = laneOf(call.getMethodDescriptor().getFullMethodName());
    if (!lane.places.tryAcquire()) {
      headers.put(REFUSED, lane.name);
      // interceptCall answers it on this very thread: no executor, no place.
      return MoreExecutors.directExecutor();
    }
    Place place = new Place(lane.places);
    admitted.put(call, place);
    // The call's context (grpc-java runs this inside it) is cancelled once the call has ended.
    Context.current().addListener(context -> {
      admitted.remove(call);
      place.release();
    }, MoreExecutors.directExecutor());
    return lane.executor;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String refused = headers.get(REFUSED);
    if (refused == null) {
      Place place = admitted.remove(call);
      if (place == null) {
        return next.startCall(call, headers);
      }
      return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void close(Status status, Metadata trailers) {
          place.release();
          super.close(status, trailers);
        }
      }, headers);
    }
    Lane lane = laneNamed(refused);
    String message = "the driver is busy: " + lane.threads + " " + lane.calls
        + " calls are running and " + lane.queue + " are waiting, the most it holds"
        + (lane.flags == null ? "" : " (" + lane.flags + ")") + "; kubelet will retry";
    String method = call.getMethodDescriptor().getBareMethodName();
    LOG.warn("refused {}: {}", method, message);
    if (lane != control) {
      // Before any volume was looked at: no backend to name.
      metrics.rpc(method, "unknown", Status.Code.RESOURCE_EXHAUSTED.name(), false, Duration.ZERO);
    }
    call.close(Status.RESOURCE_EXHAUSTED.withDescription(message), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  private Lane laneOf(String fullMethodName) {
    if (fullMethodName.equals(PUBLISH)) {
      return publish;
    }
    if (fullMethodName.equals(UNPUBLISH)) {
      return unpublish;
    }
    return control;
  }

  private Lane laneNamed(String name) {
    return List.of(publish, unpublish, control).stream()
        .filter(lane -> lane.name.equals(name)).findFirst().orElse(control);
  }

  /** Places free in the publish lane, for tests. */
  int freePublishPlaces() {
    return publish.places.availablePermits();
  }

  /** Stops every lane's threads; running calls are interrupted. Call after the server drained. */
  @Override
  public void close() {
    publish.executor.shutdownNow();
    unpublish.executor.shutdownNow();
    control.executor.shutdownNow();
  }

  /** One call's place in its lane, given back once however many ways the call ends. */
  private static final class Place {
    private final Semaphore places;
    private final AtomicBoolean held = new AtomicBoolean(true);

    Place(Semaphore places) {
      this.places = places;
    }

    void release() {
      if (held.compareAndSet(true, false)) {
        places.release();
      }
    }
  }

  private static final class Lane {
    final String name;
    final String calls;
    final int threads;
    final int queue;
    final String flags;
    final Semaphore places;
    final ThreadPoolExecutor executor;

    Lane(String name, String calls, int threads, int queue, String flags) {
      this.name = name;
      this.calls = calls;
      this.threads = threads;
      this.queue = queue;
      this.flags = flags;
      this.places = new Semaphore(threads + queue);
      // Room beyond the places: a call cancelled while queued gives its place back at once, while
      // its (now empty) task still waits for a thread.
      this.executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(4 * (threads + queue)), DaemonThreads.named("csi-" + name));
      executor.allowCoreThreadTimeOut(true);
    }
  }
}
