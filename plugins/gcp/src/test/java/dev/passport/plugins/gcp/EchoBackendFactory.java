package dev.passport.plugins.gcp;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
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

  @Override
  public Backend create(Map<String, String> config, BackendContext context) {
    return new Backend() {
      @Override
      public Set<String> requiredAudiences(Map<String, String> attributes) {
        return Set.of();
      }

      @Override
      public Material fetch(FetchRequest request) {
        String text = request.attribute("text").orElse("");
        return Material.of(List.of(
            MaterialFile.of("text", text.getBytes(StandardCharsets.UTF_8)),
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
