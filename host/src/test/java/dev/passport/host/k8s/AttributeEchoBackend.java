package dev.passport.host.k8s;

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
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that writes each attribute it was prepared with as a file (key → value), so a test can
 * compare what an SPC-resolved volume and an inline volume received, byte for byte. It records the
 * attributes of every prepare and counts fetches.
 */
final class AttributeEchoBackend implements BackendFactory {

  private final String name;
  private final String audience;
  final List<Map<String, String>> prepared = new CopyOnWriteArrayList<>();
  final List<FetchRequest> fetches = new CopyOnWriteArrayList<>();
  final AtomicInteger fetchCount = new AtomicInteger();

  AttributeEchoBackend(String name, String audience) {
    this.name = name;
    this.audience = audience;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context) {
    return new Backend<Echo>() {
      @Override
      public Echo prepare(Map<String, String> attributes) {
        prepared.add(attributes);
        return new Echo(new TreeMap<>(attributes), audience);
      }

      @Override
      public Material fetch(Echo volume, FetchRequest request) {
        fetchCount.incrementAndGet();
        fetches.add(request);
        List<MaterialFile> files = new ArrayList<>();
        volume.attributes().forEach((k, v) -> files.add(
            MaterialFile.of(k.replace('/', '_'), v.getBytes(StandardCharsets.UTF_8))));
        return Material.of(files);
      }

      @Override
      public void close() {}
    };
  }

  record Echo(Map<String, String> attributes, String audience) implements PreparedVolume {
    @Override
    public Set<String> audiences() {
      return Set.of(audience);
    }
  }
}
