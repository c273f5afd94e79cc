package dev.passport.plugins.gcp;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A second, dependency-free plugin for {@link GcpPluginDirectoryIT}: it writes its {@code text}
 * attribute and the protobuf it can see from its own class loader (none).
 */
public final class EchoBackendFactory implements BackendFactory {

  @Override
  public String name() {
    return "echo";
  }

  /** The one attribute, {@code text}, parsed once. */
  record EchoVolume(String text) implements PreparedVolume {
    @Override
    public Set<String> audiences() {
      return Set.of();
    }
  }

  @Override
  public Backend<EchoVolume> create(Map<String, String> config, BackendContext context) {
    return new Backend<>() {
      @Override
      public EchoVolume prepare(Map<String, String> attributes) {
        return new EchoVolume(attributes.getOrDefault("text", ""));
      }

      @Override
      public Material fetch(EchoVolume volume, FetchRequest request) {
        return Material.of(List.of(
            MaterialFile.of("text", volume.text().getBytes(StandardCharsets.UTF_8)),
            MaterialFile.of("protobuf", visibleProtobuf().getBytes(StandardCharsets.UTF_8))));
      }

      @Override
      public void close() {}
    };
  }

  private static String visibleProtobuf() {
    try {
      Class.forName("com.google.protobuf.Message", false, EchoBackendFactory.class.getClassLoader());
      return "visible";
    } catch (ClassNotFoundException e) {
      return "none";
    }
  }
}
