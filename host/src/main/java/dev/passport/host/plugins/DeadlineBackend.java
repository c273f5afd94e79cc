package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each fetch on the bounded fetch executor and waits at most the fetch timeout, so that a
 * stuck backend cannot hold a CSI thread past kubelet's patience. Every way a fetch can end becomes
 * a {@link BackendException}: a full executor, a limit of {@link FetchLimits}, a timeout, a null
 * answer, an unchecked exception. {@code prepare}, {@code release} and {@code close} run on the
 * caller's thread, as before.
 *
 * <p>The per-backend and per-remote place is taken here, on the caller's thread, before a fetch
 * thread is asked for: a refused fetch holds no fetch thread, not even for a moment in which it
 * would crowd out another backend's. It is given back on the fetch thread when the plugin returns,
 * not when the caller stops waiting: a plugin that ignores the interrupt of a timed-out fetch
 * still holds its thread, and keeps counting against its remote until it lets go.
 */
final class DeadlineBackend<V extends PreparedVolume> extends ForwardingBackend<V> {

  private static final Logger LOG = LoggerFactory.getLogger(DeadlineBackend.class);

  private final String name;
  private final ExecutorService executor;
  private final Duration timeout;
  private final FetchLimits limits;

  DeadlineBackend(String name, Backend<V> delegate, ExecutorService executor, Duration timeout) {
    this(name, delegate, executor, timeout, FetchLimits.unlimited());
  }

  DeadlineBackend(String name, Backend<V> delegate, ExecutorService executor, Duration timeout,
      FetchLimits limits) {
    super(delegate);
    this.name = requireNonNull(name, "name is null");
    this.executor = requireNonNull(executor, "executor is null");
    this.timeout = requireNonNull(timeout, "timeout is null");
    this.limits = requireNonNull(limits, "limits is null");
  }

  @Override
  public Material fetch(V volume, FetchRequest request) throws BackendException {
    FetchLimits.Permit permit = limits.acquire(name, remoteOf(volume));
    // The place goes back when the task ends on its thread: also when it was cancelled before it
    // began (FutureTask.run then returns at once), which a release inside the callable would miss.
    FutureTask<Material> call = new FutureTask<>(() -> delegate.fetch(volume, request));
    try {
      executor.execute(() -> {
        try {
          call.run();
        } finally {
          permit.release();
        }
      });
    } catch (RejectedExecutionException e) {
      permit.release();
      // Saturation answers a retryable code instead of growing threads without bound.
      throw new BackendException(BackendException.Kind.RESOURCE_EXHAUSTED,
          "the driver is busy: every fetch thread is in use (stuck backend calls?); kubelet will"
              + " retry");
    }
    try {
      Material material = call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (material == null) {
        throw new BackendException(BackendException.Kind.INTERNAL, "fetch returned null");
      }
      return material;
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED,
          "no answer within " + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new FetchInterruptedException();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof BackendException b) {
        throw b;
      }
      LOG.error("backend {} failed unexpectedly for volume {}", name, request.volumeId(), cause);
      throw new BackendException(BackendException.Kind.INTERNAL,
          "unexpected " + cause.getClass().getSimpleName() + "; see the driver's log");
    }
  }

  /** The plugin's own answer, on the caller's thread: a record accessor, by the API's contract. */
  private Optional<String> remoteOf(V volume) throws BackendException {
    try {
      return requireNonNull(volume.remote(), "remote() returned null");
    } catch (RuntimeException e) {
      LOG.error("backend {} failed to name the remote of a volume", name, e);
      throw new BackendException(BackendException.Kind.INTERNAL,
          "backend " + name + " failed to name the volume's remote (" + e.getClass().getSimpleName()
              + "); see the driver's log");
    }
  }
}
