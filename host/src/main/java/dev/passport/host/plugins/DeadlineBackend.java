package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each fetch on the bounded fetch executor and waits at most the fetch timeout, so that a
 * stuck backend cannot hold a CSI thread past kubelet's patience. Every way a fetch can end becomes
 * a {@link BackendException}: a full executor, a timeout, a null answer, an unchecked exception.
 * {@code prepare}, {@code release} and {@code close} run on the caller's thread, as before.
 */
final class DeadlineBackend<V extends PreparedVolume> extends ForwardingBackend<V> {

  private static final Logger LOG = LoggerFactory.getLogger(DeadlineBackend.class);

  private final String name;
  private final ExecutorService executor;
  private final Duration timeout;

  DeadlineBackend(String name, Backend<V> delegate, ExecutorService executor, Duration timeout) {
    super(delegate);
    this.name = requireNonNull(name, "name is null");
    this.executor = requireNonNull(executor, "executor is null");
    this.timeout = requireNonNull(timeout, "timeout is null");
  }

  @Override
  public Material fetch(V volume, FetchRequest request) throws BackendException {
    Future<Material> call;
    try {
      call = executor.submit(() -> delegate.fetch(volume, request));
    } catch (RejectedExecutionException e) {
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
}
