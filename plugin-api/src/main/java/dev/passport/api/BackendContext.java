package dev.passport.api;

import java.time.Clock;
import java.time.Duration;

/**
 * Services the host offers to a backend. Implemented by the host (and by the testkit); plugins only
 * call it. Every method has a default, so that an implementation written for an older plugin API
 * keeps compiling when methods are added.
 */
public interface BackendContext {

  /** The version of the plugin API the host implements, {@link PluginApi#VERSION} of its build. */
  default String apiVersion() {
    return PluginApi.VERSION;
  }

  /**
   * The clock every time decision must use ({@code refreshAt}, token lifetimes, timeouts measured
   * in instants), so that tests can simulate hours in milliseconds.
   */
  default Clock clock() {
    return Clock.systemUTC();
  }

  /** The logger name the plugin should log under, e.g. {@code dev.passport.plugins.vault}. */
  default String loggerName() {
    return "dev.passport.plugins";
  }

  /**
   * How often the host refreshes material that has no natural expiry (static secrets), before
   * jitter. A plugin returning static material may leave {@link Material#refreshAt()} empty instead.
   */
  default Duration defaultRefreshInterval() {
    return Duration.ofMinutes(5);
  }

  /** The name of the Kubernetes node the host serves, e.g. for labels on created objects. */
  default String nodeId() {
    return "unknown";
  }
}
