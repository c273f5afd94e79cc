package dev.passport.host.testing;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An in-process backend that counts its calls per volume and serves what the test sets: a fake
 * with the plugin API's real contract, registered through {@code PassportHost.backendFactory}.
 */
public final class CountingBackend implements BackendFactory {

  public static final String NAME = "counting";
  public static final String AUDIENCE = "counting";

  private final AtomicInteger calls = new AtomicInteger();
  private final Map<String, AtomicInteger> callsByVolume = new ConcurrentHashMap<>();
  private final AtomicReference<String> secret = new AtomicReference<>("v1");
  private final AtomicReference<BackendException> failure = new AtomicReference<>();
  private volatile Duration refreshAfter;
  private volatile Clock clock;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context) {
    clock = context.clock();
    return new Backend<PreparedVolume>() {
      @Override
      public PreparedVolume prepare(Map<String, String> attributes) {
        return () -> Set.of(AUDIENCE);
      }

      @Override
      public Material fetch(PreparedVolume volume, FetchRequest request) throws BackendException {
        request.token(AUDIENCE);
        calls.incrementAndGet();
        callsByVolume.computeIfAbsent(request.volumeId(), k -> new AtomicInteger()).incrementAndGet();
        BackendException failing = failure.get();
        if (failing != null) {
          throw failing;
        }
        Material material = Material.of(List.of(
            MaterialFile.of("secret", secret.get().getBytes(StandardCharsets.UTF_8)),
            MaterialFile.of("config/app.json", "{\"static\":true}".getBytes(StandardCharsets.UTF_8))));
        Duration after = refreshAfter;
        return after == null ? material : material.withRefreshAt(clock.instant().plus(after));
      }

      @Override
      public void close() {}
    };
  }

  public int calls() {
    return calls.get();
  }

  public int calls(String volumeId) {
    AtomicInteger count = callsByVolume.get(volumeId);
    return count == null ? 0 : count.get();
  }

  public Map<String, AtomicInteger> callsByVolume() {
    return callsByVolume;
  }

  /** What the next fetches return as the file "secret". */
  public void secret(String value) {
    secret.set(value);
  }

  /** Fail every fetch with this kind, or succeed again with null. */
  public void fail(BackendException.Kind kind) {
    failure.set(kind == null ? null : new BackendException(kind, "backend is down (" + kind + ")"));
  }

  /** Material says it is due this long after its fetch (a lease, a certificate); null = host default. */
  public void refreshAfter(Duration duration) {
    refreshAfter = duration;
  }
}
