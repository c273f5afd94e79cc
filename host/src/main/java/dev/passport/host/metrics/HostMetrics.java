package dev.passport.host.metrics;

import java.time.Duration;
import java.time.Instant;

/**
 * What the host records about its work. The publish path and the refresh engine record here; an
 * exporter (Prometheus) or a test reads it. Labels are bounded: backend names, results and codes,
 * never volume ids or pods.
 */
public interface HostMetrics {

  /** A CSI call finished. {@code code} is the gRPC status code name, e.g. {@code OK}. */
  void rpc(String method, String backend, String code, boolean republish, Duration duration);

  /** A republish was answered without calling the backend. */
  void cacheHit(String backend);

  /** The backend had to be called (nothing cached, token rotated, or material due). */
  void cacheMiss(String backend);

  /** A backend fetch finished; {@code result} is {@code ok} or a failure kind in lower case. */
  void fetch(String backend, String result, Duration duration);

  /** Fresh material was identical to what the volume holds, so nothing was written. */
  void writeSkipped(String backend);

  /** A refresh of a volume with content failed; the content was kept. */
  void refreshFailure(String backend);

  /** A volume keeps content past its {@code expiresAt} because the refresh failed. */
  void expiredContentServed(String backend);

  /** The set of managed volumes changed: {@code delta} is +1 or -1. */
  default void volumes(String backend, int delta) {}

  /** The earliest {@code expiresAt} among a backend's volumes, recorded after each change. */
  default void earliestExpiry(String backend, Instant expiresAt) {}

  /** Records nothing. */
  static HostMetrics none() {
    return CountingMetrics.discarding();
  }
}
