package dev.passport.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.passport.api.BackendFactory;
import dev.passport.bench.plugin.BenchBackendFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Writes the benchmark plugin as a real plugin directory, {@code <pluginsDir>/bench/plugin.properties}
 * and {@code lib/passport-bench-plugin.jar}, the layout the host loads in production. The jar holds
 * the classes of {@code dev.passport.bench.plugin} only: the plugin sees nothing of the harness.
 */
public final class PluginDirectories {

  private static final String PACKAGE_PATH = BenchBackendFactory.class.getPackageName().replace('.', '/') + "/";
  private static final String SERVICES = "META-INF/services/" + BackendFactory.class.getName();

  private PluginDirectories() {}

  /** Writes {@code <pluginsDir>/bench} and returns it. */
  public static Path writeBenchPlugin(Path pluginsDir) throws IOException {
    Path dir = Files.createDirectories(pluginsDir.resolve(BenchBackendFactory.NAME));
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Files.writeString(dir.resolve("plugin.properties"),
        "plugin.id=" + BenchBackendFactory.NAME + "\nplugin.version=1.0.0\n", UTF_8);
    try (JarOutputStream jar = new JarOutputStream(
        Files.newOutputStream(lib.resolve("passport-bench-plugin.jar")))) {
      jar.putNextEntry(new JarEntry(SERVICES));
      jar.write((BenchBackendFactory.class.getName() + "\n").getBytes(UTF_8));
      jar.closeEntry();
      copyClasses(jar, PACKAGE_PATH);
    }
    return dir;
  }

  /**
   * Writes the minimal Probe server's classes into {@code jar}: AppCDS archives classes from jars
   * only, so P5 cannot start it from a class directory.
   */
  public static Path writeMinimalServerJar(Path jar) throws IOException {
    Files.createDirectories(jar.getParent());
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      copyClasses(out, MinimalProbeServer.class.getName().replace('.', '/'));
    }
    return jar;
  }

  /**
   * A plugins directory holding every plugin directory of {@code shipped} (e.g.
   * {@code dist/target/passport/plugins}, linked, not copied) and the bench plugin.
   */
  public static Path withShippedPlugins(Path pluginsDir, Path shipped) throws IOException {
    Files.createDirectories(pluginsDir);
    if (shipped != null && Files.isDirectory(shipped)) {
      try (Stream<Path> plugins = Files.list(shipped)) {
        for (Path plugin : plugins.filter(Files::isDirectory).toList()) {
          Files.createSymbolicLink(pluginsDir.resolve(plugin.getFileName()), plugin.toAbsolutePath());
        }
      }
    }
    writeBenchPlugin(pluginsDir);
    return pluginsDir;
  }

  /** The ids of the plugin directories in {@code pluginsDir}. */
  public static List<String> ids(Path pluginsDir) throws IOException {
    try (Stream<Path> plugins = Files.list(pluginsDir)) {
      return plugins.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Copies the class files whose path starts with {@code prefix} from where this module's classes are. */
  private static void copyClasses(JarOutputStream jar, String prefix) throws IOException {
    Path source;
    try {
      source = Path.of(PluginDirectories.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException("cannot locate the bench plugin classes", e);
    }
    if (Files.isDirectory(source)) {
      try (Stream<Path> files = Files.walk(source)) {
        for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
          String name = source.relativize(file).toString().replace('\\', '/');
          if (!name.startsWith(prefix)) {
            continue;
          }
          jar.putNextEntry(new JarEntry(name));
          Files.copy(file, jar);
          jar.closeEntry();
        }
      }
      return;
    }
    try (JarFile from = new JarFile(source.toFile())) {
      for (JarEntry entry : from.stream().filter(e -> e.getName().startsWith(prefix)
          && !e.isDirectory()).toList()) {
        jar.putNextEntry(new JarEntry(entry.getName()));
        try (InputStream in = from.getInputStream(entry)) {
          in.transferTo((OutputStream) jar);
        }
        jar.closeEntry();
      }
    }
  }
}
