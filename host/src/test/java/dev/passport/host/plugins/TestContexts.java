package dev.passport.host.plugins;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import dev.passport.api.PreparedVolume;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

/** What the loader tests hand to plugins and backends. */
final class TestContexts {

  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private TestContexts() {}

  /** The context for any plugin id. */
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
      public Duration defaultRefreshInterval() {
        return Duration.ofMinutes(5);
      }

      @Override
      public String nodeId() {
        return "node-1";
      }
    };
  }

  static FetchRequest fetchRequest() {
    return FetchRequest.builder()
        .volumeId("csi-volume-1")
        .pod(Pod.of("default", "app", "uid-1", "app-sa"))
        .deadline(NOW.plusSeconds(30))
        .build();
  }

  /** Prepares {@code attributes} and fetches, as the host does, whatever the backend's volume type. */
  static Material fetch(Backend<?> backend, Map<String, String> attributes)
      throws BackendException {
    return prepareAndFetch(backend, attributes);
  }

  private static <V extends PreparedVolume> Material prepareAndFetch(
      Backend<V> backend, Map<String, String> attributes) throws BackendException {
    return backend.fetch(backend.prepare(attributes), fetchRequest());
  }

  static String text(Material material, String path) {
    return new String(
        material.file(path).orElseThrow(() -> new AssertionError("no file " + path)).content(),
        StandardCharsets.UTF_8);
  }
}
