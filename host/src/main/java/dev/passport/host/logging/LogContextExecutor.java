package dev.passport.host.logging;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.MDC;

/**
 * An executor that carries the submitter's logging context (MDC) onto the thread that runs the
 * task, so that a plugin's log lines on a fetch thread name the call's volume, pod and backend.
 * The worker's context is cleared afterwards: a pooled thread must not keep a finished call's
 * fields.
 */
public final class LogContextExecutor extends AbstractExecutorService {

  private final ExecutorService delegate;

  private LogContextExecutor(ExecutorService delegate) {
    this.delegate = requireNonNull(delegate, "delegate is null");
  }

  /** Wraps {@code delegate}; its saturation ({@code RejectedExecutionException}) passes through. */
  public static ExecutorService carrying(ExecutorService delegate) {
    return new LogContextExecutor(delegate);
  }

  @Override
  public void execute(Runnable task) {
    requireNonNull(task, "task is null");
    Map<String, String> context = MDC.getCopyOfContextMap();
    delegate.execute(() -> {
      if (context != null) {
        MDC.setContextMap(context);
      }
      try {
        task.run();
      } finally {
        MDC.clear();
      }
    });
  }

  @Override
  public void shutdown() {
    delegate.shutdown();
  }

  @Override
  public List<Runnable> shutdownNow() {
    return delegate.shutdownNow();
  }

  @Override
  public boolean isShutdown() {
    return delegate.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return delegate.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return delegate.awaitTermination(timeout, unit);
  }
}
