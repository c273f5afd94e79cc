package dev.passport.host.plugins;

import dev.passport.api.BackendContext;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/** What the loader tests hand to plugins and backends. */
final class TestContexts {

  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private TestContexts() {}

  /** The context for any plugin id; the fixtures schedule nothing, so there is no executor. */
  static BackendContext contextFor(String pluginId) {
    return new BackendContext() {
      @Override
      public Clock clock() {
        return Clock.fixed(NOW, ZoneOffset.UTC);
      }

      @Override
      public String loggerName() {
        return "dev.passport.plugins." + pluginId;
      }

      @Override
      public ScheduledExecutorService executor() {
        throw new UnsupportedOperationException("the loader test fixtures schedule nothing");
      }

      @Override
      public Duration defaultRefreshInterval() {
        return Duration.ofMinutes(5);
      }

      @Override
      public String nodeId() {
        return "node-1";
      }
    };
  }

  static FetchRequest fetchRequest(Map<String, String> attributes) {
    return new FetchRequest(
        "csi-volume-1",
        new Pod("default", "app", "uid-1", "app-sa"),
        Map.of(),
        attributes,
        Optional.empty(),
        NOW.plusSeconds(30));
  }

  static String text(Material material, String path) {
    return new String(
        material.file(path).orElseThrow(() -> new AssertionError("no file " + path)).content(),
        StandardCharsets.UTF_8);
  }
}
