package dev.passport.host.logging;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.MDC;

/**
 * The fields of one CSI call in the logging context (SLF4J MDC), so that every line logged on the
 * calling thread while it is open carries them; the JSON log format prints them under {@code mdc}:
 * {@code rpc}, {@code volume_id}, {@code namespace}, {@code pod}, {@code backend}, and, after
 * {@link #end(String)}, {@code code} and {@code duration_ms}.
 *
 * <pre>{@code
 * try (RpcLogContext rpc = RpcLogContext.start("NodePublishVolume", request.volumeId())) {
 *   rpc.volumeContext(request.volumeContext());
 *   ...
 *   rpc.end("OK");
 *   LOG.info("published volume {} ...", ...);
 * }
 * }</pre>
 *
 * <p>Only the keys named here are copied: never the volume context's tokens, never secrets.
 * Closing restores whatever the thread's context held before.
 */
public final class RpcLogContext implements AutoCloseable {

  public static final String RPC = "rpc";
  public static final String VOLUME_ID = "volume_id";
  public static final String NAMESPACE = "namespace";
  public static final String POD = "pod";
  public static final String BACKEND = "backend";
  public static final String CODE = "code";
  public static final String DURATION_MS = "duration_ms";

  // Kubelet's keys (podInfoOnMount), spelled here so that metrics does not depend on publish.
  private static final String POD_NAMESPACE_KEY = "csi.storage.k8s.io/pod.namespace";
  private static final String POD_NAME_KEY = "csi.storage.k8s.io/pod.name";
  private static final String BACKEND_KEY = "backend";

  private final long startedNanos;
  private final Map<String, String> previous = new HashMap<>();

  private RpcLogContext(long startedNanos) {
    this.startedNanos = startedNanos;
  }

  /** Opens the context of a call, e.g. {@code start("NodePublishVolume", volumeId)}. */
  public static RpcLogContext start(String rpc, String volumeId) {
    RpcLogContext context = new RpcLogContext(System.nanoTime());
    context.put(RPC, requireNonNull(rpc, "rpc is null"));
    context.put(VOLUME_ID, volumeId);
    return context;
  }

  /** Copies the pod's namespace and name and the {@code backend} attribute, and nothing else. */
  public RpcLogContext volumeContext(Map<String, String> volumeContext) {
    if (volumeContext != null) {
      put(NAMESPACE, volumeContext.get(POD_NAMESPACE_KEY));
      put(POD, volumeContext.get(POD_NAME_KEY));
      put(BACKEND, volumeContext.get(BACKEND_KEY));
    }
    return this;
  }

  public RpcLogContext pod(String namespace, String name) {
    put(NAMESPACE, namespace);
    put(POD, name);
    return this;
  }

  public RpcLogContext backend(String backend) {
    put(BACKEND, backend);
    return this;
  }

  /** Records the outcome: {@code code} (a gRPC code name) and the milliseconds since {@link #start}. */
  public RpcLogContext end(String code) {
    put(CODE, requireNonNull(code, "code is null"));
    put(DURATION_MS, Long.toString((System.nanoTime() - startedNanos) / 1_000_000));
    return this;
  }

  @Override
  public void close() {
    previous.forEach((key, value) -> {
      if (value == null) {
        MDC.remove(key);
      } else {
        MDC.put(key, value);
      }
    });
    previous.clear();
  }

  private void put(String key, String value) {
    if (value == null || value.isEmpty()) {
      return;
    }
    if (!previous.containsKey(key)) {
      previous.put(key, MDC.get(key));
    }
    MDC.put(key, value);
  }
}
