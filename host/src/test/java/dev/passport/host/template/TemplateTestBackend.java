package dev.passport.host.template;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An in-process backend whose files a test sets ({@link #serve}); it records the attributes it is
 * prepared with and the previous material of each fetch, and counts fetches.
 */
final class TemplateTestBackend implements BackendFactory {

  static final String AUDIENCE = "templated";

  final List<Map<String, String>> prepared = new CopyOnWriteArrayList<>();
  final List<List<String>> previousPaths = new CopyOnWriteArrayList<>();
  final AtomicInteger fetches = new AtomicInteger();
  private final AtomicReference<Map<String, String>> files = new AtomicReference<>(Map.of());

  void serve(Map<String, String> pathsToTexts) {
    files.set(Map.copyOf(pathsToTexts));
  }

  @Override
  public String name() {
    return "templated";
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context) {
    return new Backend<Volume>() {
      @Override
      public Volume prepare(Map<String, String> attributes) {
        prepared.add(Map.copyOf(attributes));
        return new Volume();
      }

      @Override
      public Material fetch(Volume volume, FetchRequest request) {
        fetches.incrementAndGet();
        previousPaths.add(request.previous()
            .map(m -> m.files().stream().map(MaterialFile::path).sorted().toList())
            .orElse(List.of()));
        List<MaterialFile> out = new ArrayList<>();
        new java.util.TreeMap<>(files.get()).forEach((path, text) ->
            out.add(MaterialFile.of(path, text.getBytes(StandardCharsets.UTF_8))));
        return Material.of(out);
      }

      @Override
      public void close() {}
    };
  }

  private record Volume() implements PreparedVolume {
    @Override
    public Set<String> audiences() {
      return Set.of(AUDIENCE);
    }
  }
}
