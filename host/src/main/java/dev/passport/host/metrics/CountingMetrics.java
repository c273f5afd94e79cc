package dev.passport.host.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * In-memory counters keyed by {@code name{labels}}, e.g. {@code fetch{backend=vault,result=ok}}.
 * The host always keeps one so that tests, benchmarks and the demo can read exact counts.
 */
public final class CountingMetrics implements HostMetrics {

  private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final boolean enabled;

  private CountingMetrics(boolean enabled) {
    this.enabled = enabled;
  }

  /** Counters that count. */
  public static CountingMetrics create() {
    return new CountingMetrics(true);
  }

  static CountingMetrics discarding() {
    return new CountingMetrics(false);
  }

  @Override
  public void rpc(String method, String backend, String code, boolean republish, Duration duration) {
    increment("rpc{method=" + method + ",backend=" + backend + ",code=" + code
        + ",republish=" + republish + "}");
  }

  @Override
  public void cacheHit(String backend) {
    increment("cache_hit{backend=" + backend + "}");
  }

  @Override
  public void cacheMiss(String backend) {
    increment("cache_miss{backend=" + backend + "}");
  }

  @Override
  public void fetch(String backend, String result, Duration duration) {
    increment("fetch{backend=" + backend + ",result=" + result + "}");
  }

  @Override
  public void writeSkipped(String backend) {
    increment("write_skipped{backend=" + backend + "}");
  }

  @Override
  public void refreshFailure(String backend) {
    increment("refresh_failure{backend=" + backend + "}");
  }

  @Override
  public void expiredContentServed(String backend) {
    increment("expired_content{backend=" + backend + "}");
  }

  /** The count of one key, e.g. {@code count("fetch{backend=vault,result=ok}")}; 0 if never counted. */
  public long count(String key) {
    LongAdder adder = counters.get(key);
    return adder == null ? 0 : adder.sum();
  }

  /** The sum over all keys starting with {@code prefix}, e.g. {@code sum("fetch{backend=vault")}. */
  public long sum(String prefix) {
    return counters.entrySet().stream()
        .filter(e -> e.getKey().startsWith(prefix))
        .mapToLong(e -> e.getValue().sum())
        .sum();
  }

  /** A sorted copy of every counter. */
  public Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    counters.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  private void increment(String key) {
    if (enabled) {
      counters.computeIfAbsent(key, k -> new LongAdder()).increment();
    }
  }
}
