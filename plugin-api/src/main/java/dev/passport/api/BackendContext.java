package dev.passport.api;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Services the host offers to a backend. Implemented by the host (and by the testkit); plugins only
 * call it.
 */
public interface BackendContext {

  /**
   * The clock every time decision must use ({@code refreshAt}, token lifetimes, timeouts measured
   * in instants), so that tests can simulate hours in milliseconds.
   */
  Clock clock();

  /** The logger name the plugin should log under, e.g. {@code dev.passport.plugins.vault}. */
  String loggerName();

  /**
   * A shared scheduler for the plugin's background work (timeouts, parallel fetches). Its threads
   * are daemons owned by the host; a plugin must not shut it down.
   */
  ScheduledExecutorService executor();

  /**
   * How often the host refreshes material that has no natural expiry (static secrets), before
   * jitter. A plugin returning static material may leave {@link Material#refreshAt()} empty instead.
   */
  Duration defaultRefreshInterval();

  /** The name of the Kubernetes node the host serves, e.g. for labels on created objects. */
  String nodeId();
}
