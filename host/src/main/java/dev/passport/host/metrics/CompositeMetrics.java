package dev.passport.host.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Records to several {@link HostMetrics} at once (the in-memory counters and an exporter). */
public final class CompositeMetrics implements HostMetrics {

  private final List<HostMetrics> targets;

  public CompositeMetrics(List<HostMetrics> targets) {
    this.targets = List.copyOf(targets);
  }

  @Override
  public void rpc(String method, String backend, String code, boolean republish, Duration duration) {
    targets.forEach(t -> t.rpc(method, backend, code, republish, duration));
  }

  @Override
  public void cacheHit(String backend) {
    targets.forEach(t -> t.cacheHit(backend));
  }

  @Override
  public void cacheMiss(String backend) {
    targets.forEach(t -> t.cacheMiss(backend));
  }

  @Override
  public void fetch(String backend, String result, Duration duration) {
    targets.forEach(t -> t.fetch(backend, result, duration));
  }

  @Override
  public void writeSkipped(String backend) {
    targets.forEach(t -> t.writeSkipped(backend));
  }

  @Override
  public void refreshFailure(String backend) {
    targets.forEach(t -> t.refreshFailure(backend));
  }

  @Override
  public void expiredContentServed(String backend) {
    targets.forEach(t -> t.expiredContentServed(backend));
  }

  @Override
  public void volumes(String backend, int delta) {
    targets.forEach(t -> t.volumes(backend, delta));
  }

  @Override
  public void earliestExpiry(String backend, Instant expiresAt) {
    targets.forEach(t -> t.earliestExpiry(backend, expiresAt));
  }
}
