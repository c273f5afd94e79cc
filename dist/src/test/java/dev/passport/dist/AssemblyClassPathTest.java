package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: each class loader's directory of the assembly holds one jar per artifact, and the
 * host's {@code lib/} is exactly the host module's own runtime class path (as the host module
 * resolves it, {@code host/target/runtime-dependencies.txt}): no library only a plugin needs, no
 * version a plugin's dependency mediated into it (a plugin's gson 2.12.1 once replaced the 2.14.0
 * gRPC 1.85 expects).
 */
class AssemblyClassPathTest {

  private static final Path ROOT = Manifests.repositoryRoot();
  private static final Path ASSEMBLY = ROOT.resolve("dist/target/passport");
  /** copy-dependencies' names: artifactId-version[-classifier].jar. */
  private static final Pattern JAR =
      Pattern.compile("(.+?)-(\\d[^-]*(?:-[A-Za-z0-9.]+)*?)(-[a-z][a-z0-9_-]*)?\\.jar");
  /** dependency:list's lines: groupId:artifactId:type[:classifier]:version:scope[ -- module …]. */
  private static final Pattern LISTED = Pattern.compile(
      "\\s*([^:\\s]+):([^:\\s]+):([^:\\s]+)(?::([^:\\s]+))?:([^:\\s]+):(compile|runtime)(?:\\s.*)?");

  @Test
  void everyClassLoaderDirectory_holdsOneJarPerArtifact() throws IOException {
    List<Path> directories = new ArrayList<>();
    directories.add(ASSEMBLY.resolve("lib"));
    try (Stream<Path> plugins = Files.list(ASSEMBLY.resolve("plugins"))) {
      plugins.map(p -> p.resolve("lib")).filter(Files::isDirectory).sorted()
          .forEach(directories::add);
    }
    assertThat(directories).as("lib/ and at least the four shipped plugins").hasSizeGreaterThan(4);

    Map<String, List<String>> duplicates = new TreeMap<>();
    for (Path directory : directories) {
      Map<String, List<String>> byArtifact = new TreeMap<>();
      for (String jar : jarNames(directory)) {
        Matcher parts = JAR.matcher(jar);
        assertThat(parts.matches()).as("artifactId-version.jar: %s in %s", jar, directory).isTrue();
        String classifier = parts.group(3) == null ? "" : parts.group(3);
        String artifact = groupOf(directory.resolve(jar), parts.group(1)) + ":" + parts.group(1);
        byArtifact.computeIfAbsent(artifact + classifier, k -> new ArrayList<>()).add(jar);
      }
      byArtifact.values().removeIf(jars -> jars.size() < 2);
      byArtifact.forEach((artifact, jars) ->
          duplicates.put(ASSEMBLY.relativize(directory) + ": " + artifact, jars));
    }
    assertThat(duplicates).as("one class loader, one version of each artifact").isEmpty();
  }

  @Test
  void hostLib_isExactlyTheHostModulesRuntimeClassPath() throws IOException {
    Path listing = ROOT.resolve("host/target/runtime-dependencies.txt");
    assertThat(listing).as("written by the host module's package (dependency:list)").exists();
    Set<String> expected = new TreeSet<>();
    for (String line : Files.readAllLines(listing)) {
      Matcher dependency = LISTED.matcher(line);
      if (dependency.matches() && dependency.group(3).equals("jar")) {
        expected.add(dependency.group(2) + "-" + dependency.group(5)
            + (dependency.group(4) == null ? "" : "-" + dependency.group(4)) + ".jar");
      }
    }
    assertThat(expected).as("parsed from %s", listing).hasSizeGreaterThan(20);
    Set<String> lib = new TreeSet<>(jarNames(ASSEMBLY.resolve("lib")));
    lib.removeIf(name -> name.startsWith("host-") && JAR.matcher(name).matches()
        && JAR.matcher(name).replaceFirst("$1").equals("host"));

    Set<String> extra = new TreeSet<>(lib);
    extra.removeAll(expected);
    Set<String> missing = new TreeSet<>(expected);
    missing.removeAll(lib);
    assertThat(extra).as("jars in lib/ the host module does not resolve (a plugin's dependency or "
        + "another version of the host's): see dist/pom.xml's plugin dependencies").isEmpty();
    assertThat(missing).as("the host's runtime dependencies missing from lib/").isEmpty();
  }

  /** The groupId in the jar's own Maven metadata (jackson 2 and 3 share artifactIds), or "?". */
  private static String groupOf(Path jar, String artifactId) throws IOException {
    try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
      return file.stream().map(java.util.zip.ZipEntry::getName)
          .filter(n -> n.startsWith("META-INF/maven/") && n.endsWith("/" + artifactId + "/pom.properties"))
          .map(n -> n.split("/")[2]).findFirst().orElse("?");
    }
  }

  private static List<String> jarNames(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted()
          .collect(Collectors.toList());
    }
  }
}
