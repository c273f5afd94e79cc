package dev.passport.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendFactory;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.slf4j.Logger;

/**
 * Builds a real plugin directory for tests: {@code <pluginsDir>/<id>/plugin.properties} and {@code
 * lib/*.jar}, the layout the host loads in production.
 *
 * <pre>{@code
 * Path dir = PluginDirectoryBuilder.plugin(pluginsDir, "probe")
 *     .version("1.2.0")
 *     .factory(ProbeBackendFactory.class)          // copies the class, registers the service
 *     .compiled("lib-1.jar", Map.of("com.example.shared.LibVersion", source))
 *     .build();
 * }</pre>
 *
 * <p>Classes added with {@link #classes} or {@link #factory(Class)} are also on the test's own
 * class path; a correctly isolated plugin still loads its own copy from {@code lib/}. Keep such
 * classes self-contained (JDK, plugin API and SLF4J only), or add what they use as well.
 */
public final class PluginDirectoryBuilder {

  private static final String SERVICES_FILE = "META-INF/services/" + BackendFactory.class.getName();

  private final Path pluginsDir;
  private final String id;
  private String version = "1.0.0";
  private boolean descriptor = true;
  private final Map<String, byte[]> pluginJarEntries = new LinkedHashMap<>();
  private final Set<String> factoryClassNames = new LinkedHashSet<>();
  private final List<Jar> jars = new ArrayList<>();

  private PluginDirectoryBuilder(Path pluginsDir, String id) {
    this.pluginsDir = requireNonNull(pluginsDir, "pluginsDir is null");
    this.id = requireNonNull(id, "id is null");
  }

  /** A plugin with id {@code id} (also its directory name) and version {@code 1.0.0}. */
  public static PluginDirectoryBuilder plugin(Path pluginsDir, String id) {
    return new PluginDirectoryBuilder(pluginsDir, id);
  }

  /** The {@code plugin.version} of the descriptor. */
  public PluginDirectoryBuilder version(String version) {
    this.version = requireNonNull(version, "version is null");
    return this;
  }

  /** Leaves out {@code plugin.properties}, for tests of broken plugin directories. */
  public PluginDirectoryBuilder withoutDescriptor() {
    this.descriptor = false;
    return this;
  }

  /**
   * Copies these compiled classes, with their nested, inner, local and anonymous classes, from the
   * test class path into {@code lib/<id>.jar}.
   */
  public PluginDirectoryBuilder classes(Class<?>... classes) {
    for (Class<?> type : classes) {
      copyClassWithNestedClasses(type);
    }
    return this;
  }

  /** Copies the factory class like {@link #classes} and registers it as a service. */
  public PluginDirectoryBuilder factory(Class<?> factoryClass) {
    classes(factoryClass);
    return factory(factoryClass.getName());
  }

  /**
   * Registers {@code className} in {@code META-INF/services/dev.passport.api.BackendFactory} of
   * {@code lib/<id>.jar}, whether or not the class exists anywhere.
   */
  public PluginDirectoryBuilder factory(String className) {
    factoryClassNames.add(requireNonNull(className, "className is null"));
    return this;
  }

  /**
   * Compiles Java sources into {@code lib/<jarName>} when the directory is built. The class path is
   * the plugin API, SLF4J, the jars this builder added before this one, and {@code classpath}.
   *
   * @param sourcesByClassName source text by fully qualified class name
   */
  public PluginDirectoryBuilder compiled(
      String jarName, Map<String, String> sourcesByClassName, Path... classpath) {
    requireJarName(jarName);
    jars.add(new CompiledJar(jarName, Map.copyOf(sourcesByClassName), List.of(classpath)));
    return this;
  }

  /** Copies an existing jar into {@code lib/} (e.g. a library the plugin bundles). */
  public PluginDirectoryBuilder jar(Path existingJar) {
    requireNonNull(existingJar, "existingJar is null");
    jars.add(new CopiedJar(existingJar));
    return this;
  }

  /**
   * Writes the plugin directory.
   *
   * @return {@code <pluginsDir>/<id>}
   */
  public Path build() throws IOException {
    Path directory = Files.createDirectories(pluginsDir.resolve(id));
    Path lib = Files.createDirectories(directory.resolve("lib"));
    if (descriptor) {
      Files.writeString(
          directory.resolve("plugin.properties"),
          "plugin.id=" + id + "\nplugin.version=" + version + "\n",
          UTF_8);
    }
    List<Path> built = new ArrayList<>();
    for (Jar jar : jars) {
      Path written = jar.writeInto(lib, built);
      if (built.contains(written)) {
        throw new IllegalStateException("two jars of plugin " + id + " are named " + written);
      }
      built.add(written);
    }
    if (!pluginJarEntries.isEmpty() || !factoryClassNames.isEmpty()) {
      if (built.contains(lib.resolve(id + ".jar"))) {
        throw new IllegalStateException(
            "lib/"
                + id
                + ".jar holds the classes and factories of plugin "
                + id
                + "; give the other jar of that name another name");
      }
      Map<String, byte[]> entries = new LinkedHashMap<>(pluginJarEntries);
      if (!factoryClassNames.isEmpty()) {
        entries.put(SERVICES_FILE, (String.join("\n", factoryClassNames) + "\n").getBytes(UTF_8));
      }
      writeJar(lib.resolve(id + ".jar"), entries);
    }
    return directory;
  }

  private void copyClassWithNestedClasses(Class<?> type) {
    String resource = type.getName().replace('.', '/') + ".class";
    URL url =
        requireNonNull(
            type.getClassLoader().getResource(resource),
            () -> resource + " is not on the class path");
    String nestedPrefix = resource.substring(0, resource.length() - ".class".length()) + "$";
    try {
      pluginJarEntries.put(resource, read(url));
      if (url.getProtocol().equals("jar")) {
        copyNestedFromJar(url, nestedPrefix);
      } else {
        copyNestedFromDirectory(Path.of(url.toURI()), nestedPrefix);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + type.getName(), e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot copy " + type.getName(), e);
    }
  }

  private void copyNestedFromDirectory(Path classFile, String nestedPrefix) throws IOException {
    String packagePath = nestedPrefix.substring(0, nestedPrefix.lastIndexOf('/') + 1);
    String fileNamePrefix = nestedPrefix.substring(packagePath.length());
    try (Stream<Path> siblings = Files.list(classFile.getParent())) {
      for (Path sibling : siblings.sorted().toList()) {
        String fileName = sibling.getFileName().toString();
        if (fileName.startsWith(fileNamePrefix) && fileName.endsWith(".class")) {
          pluginJarEntries.put(packagePath + fileName, Files.readAllBytes(sibling));
        }
      }
    }
  }

  /** The test-jar case: another module reuses these fixtures from the host's test jar. */
  private void copyNestedFromJar(URL classUrl, String nestedPrefix) throws IOException {
    JarURLConnection connection = (JarURLConnection) classUrl.openConnection();
    connection.setUseCaches(false);
    try (JarFile jar = connection.getJarFile()) {
      Enumeration<JarEntry> entries = jar.entries();
      while (entries.hasMoreElements()) {
        JarEntry entry = entries.nextElement();
        if (entry.getName().startsWith(nestedPrefix) && entry.getName().endsWith(".class")) {
          try (InputStream in = jar.getInputStream(entry)) {
            pluginJarEntries.put(entry.getName(), in.readAllBytes());
          }
        }
      }
    }
  }

  private static byte[] read(URL url) throws IOException {
    var connection = url.openConnection();
    connection.setUseCaches(false);
    try (InputStream in = connection.getInputStream()) {
      return in.readAllBytes();
    }
  }

  private static void writeJar(Path jar, Map<String, byte[]> entries) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        out.putNextEntry(new JarEntry(entry.getKey()));
        out.write(entry.getValue());
        out.closeEntry();
      }
    }
  }

  private static void requireJarName(String jarName) {
    requireNonNull(jarName, "jarName is null");
    if (!jarName.endsWith(".jar") || jarName.contains("/")) {
      throw new IllegalArgumentException(
          "jar name " + jarName + " must be a file name ending in .jar");
    }
  }

  private static Path locationOf(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate " + type.getName(), e);
    }
  }

  private sealed interface Jar permits CompiledJar, CopiedJar {
    /** Writes the jar into {@code lib}, given the jars written before it; returns its path. */
    Path writeInto(Path lib, List<Path> earlierJars) throws IOException;
  }

  private record CopiedJar(Path source) implements Jar {
    @Override
    public Path writeInto(Path lib, List<Path> earlierJars) throws IOException {
      return Files.copy(
          source,
          lib.resolve(source.getFileName().toString()),
          StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private record CompiledJar(String jarName, Map<String, String> sources, List<Path> classpath)
      implements Jar {

    @Override
    public Path writeInto(Path lib, List<Path> earlierJars) throws IOException {
      Path scratch = Files.createTempDirectory("plugin-sources");
      try {
        Path sourceRoot = Files.createDirectories(scratch.resolve("src"));
        Path classesRoot = Files.createDirectories(scratch.resolve("classes"));
        List<Path> sourceFiles = new ArrayList<>();
        for (Map.Entry<String, String> source : sources.entrySet()) {
          Path file = sourceRoot.resolve(source.getKey().replace('.', '/') + ".java");
          Files.createDirectories(file.getParent());
          sourceFiles.add(Files.writeString(file, source.getValue(), UTF_8));
        }
        compile(sourceFiles, classesRoot, earlierJars);
        Path jar = lib.resolve(jarName);
        writeJar(jar, classFiles(classesRoot));
        return jar;
      } finally {
        deleteRecursively(scratch);
      }
    }

    private void compile(List<Path> sourceFiles, Path classesRoot, List<Path> earlierJars)
        throws IOException {
      JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
      if (compiler == null) {
        throw new IllegalStateException("no Java compiler: run the tests on a JDK, not a JRE");
      }
      List<Path> path = new ArrayList<>();
      path.add(locationOf(BackendFactory.class));
      path.add(locationOf(Logger.class));
      path.addAll(earlierJars);
      path.addAll(classpath);
      String classPath =
          path.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
      DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
      try (StandardJavaFileManager files =
          compiler.getStandardFileManager(diagnostics, null, UTF_8)) {
        boolean compiled =
            compiler
                .getTask(
                    null,
                    files,
                    diagnostics,
                    List.of(
                        "--release",
                        "17",
                        "-proc:none",
                        "-classpath",
                        classPath,
                        "-d",
                        classesRoot.toString()),
                    null,
                    files.getJavaFileObjectsFromPaths(sourceFiles))
                .call();
        if (!compiled) {
          throw new IllegalStateException(
              "cannot compile "
                  + jarName
                  + ":\n"
                  + diagnostics.getDiagnostics().stream()
                      .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                      .map(Object::toString)
                      .collect(Collectors.joining("\n")));
        }
      }
    }

    private static Map<String, byte[]> classFiles(Path classesRoot) throws IOException {
      Map<String, byte[]> entries = new LinkedHashMap<>();
      try (Stream<Path> files = Files.walk(classesRoot)) {
        for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
          entries.put(
              classesRoot.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
        }
      }
      return entries;
    }

    private static void deleteRecursively(Path root) throws IOException {
      try (Stream<Path> paths = Files.walk(root)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      }
    }
  }
}
