package dev.passport.host.plugins;

/**
 * Java sources that tests compile into plugin jars with {@code PluginDirectoryBuilder.compiled}.
 */
final class PluginSources {

  static final String LIB_VERSION = "com.example.shared.LibVersion";

  private PluginSources() {}

  /** {@code com.example.shared.LibVersion.get()} returning {@code version}. */
  static String libVersion(String version) {
    return """
    package com.example.shared;

    public final class LibVersion {
      public static String get() {
        return "%s";
      }
    }
    """
        .formatted(version);
  }

  /**
   * A factory named {@code backendName} whose backend's fetch returns one file, {@code value},
   * holding {@code valueExpression}.
   */
  static String factory(String className, String backendName, String valueExpression) {
    return factory(className, backendName, valueExpression, "");
  }

  /** As {@link #factory(String, String, String)}, with extra members in the factory class. */
  static String factory(
      String className, String backendName, String valueExpression, String factoryMembers) {
    int dot = className.lastIndexOf('.');
    return """
    package %s;

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

    public final class %s implements BackendFactory {
      %s

      @Override
      public String name() {
        return "%s";
      }

      @Override
      public Backend<?> create(Map<String, String> config, BackendContext context) {
        return new Backend<PreparedVolume>() {
          @Override
          public PreparedVolume prepare(Map<String, String> attributes) {
            return Set::of;
          }

          @Override
          public Material fetch(PreparedVolume volume, FetchRequest request) {
            String value = %s;
            return Material.of(
                List.of(MaterialFile.of("value", value.getBytes(StandardCharsets.UTF_8))));
          }

          @Override
          public void close() {}
        };
      }
    }
    """
        .formatted(
            className.substring(0, dot),
            className.substring(dot + 1),
            factoryMembers,
            backendName,
            valueExpression);
  }
}
