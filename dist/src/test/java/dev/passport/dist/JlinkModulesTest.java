package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's jlink runtime has every JDK module that jdeps finds the host's {@code lib/} and each
 * plugin's {@code lib/} referring to (issue 21: the module list predated the aws and azure
 * plugins), so that a plugin added to the assembly with a new module fails here rather than with
 * a NoClassDefFoundError in a node's driver.
 */
class JlinkModulesTest {

  private static final Path ASSEMBLY = Manifests.repositoryRoot().resolve("dist/target/passport");
  /**
   * Modules jdeps names that the runtime leaves out on purpose, with the reason: jdk.httpserver is
   * referred to only by msal4j's interactive browser flow (its local redirect listener); the azure
   * plugin authenticates with a ClientAssertionCredential, which never runs it.
   */
  private static final Set<String> LEFT_OUT = Set.of("jdk.httpserver");

  @TempDir Path dir;

  @Test
  void jlinkRuntime_hasEveryModuleJdepsFindsInLibAndEachPlugin() throws IOException {
    assumeTrue(Files.isDirectory(ASSEMBLY.resolve("lib")),
        "the assembly is not built in this run (" + ASSEMBLY + "); run `mvn -B -pl dist -am verify`");
    Set<String> runtime = jlinkModules();

    Map<String, Set<String>> missing = new TreeMap<>();
    for (Path lib : classLoaderDirectories()) {
      Set<String> needed = new TreeSet<>(jdeps(lib));
      needed.removeAll(runtime);
      needed.removeAll(LEFT_OUT);
      if (!needed.isEmpty()) {
        missing.put(ASSEMBLY.relativize(lib).toString(), needed);
      }
    }
    assertThat(missing).as("JDK modules jdeps finds but dist/Dockerfile's jlink leaves out").isEmpty();
  }

  private static Set<String> jlinkModules() throws IOException {
    DockerfileTest.Instruction jlink = DockerfileTest.instructions().stream()
        .filter(i -> i.keyword().equals("RUN") && i.arguments().contains("jlink"))
        .findFirst().orElseThrow();
    List<String> arguments = jlink.arguments();
    return Set.of(arguments.get(arguments.indexOf("--add-modules") + 1).split(","));
  }

  private static List<Path> classLoaderDirectories() throws IOException {
    List<Path> directories = new ArrayList<>(List.of(ASSEMBLY.resolve("lib")));
    try (Stream<Path> plugins = Files.list(ASSEMBLY.resolve("plugins"))) {
      plugins.map(p -> p.resolve("lib")).filter(Files::isDirectory).sorted()
          .forEach(directories::add);
    }
    return directories;
  }

  /**
   * {@code jdeps --ignore-missing-deps --print-module-deps --multi-release 17} over the jars of
   * {@code lib}, as plain class-path jars: a modular jar (azure's) would make jdeps resolve its
   * {@code requires} (optional msal4j extensions, the host's SLF4J) and stop on the first absent.
   */
  private Set<String> jdeps(Path lib) throws IOException {
    Path copies = Files.createDirectories(dir.resolve(ASSEMBLY.relativize(lib).toString()));
    List<String> arguments = new ArrayList<>(List.of("--ignore-missing-deps",
        "--print-module-deps", "--multi-release", "17"));
    try (Stream<Path> jars = Files.list(lib)) {
      for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).sorted().toList()) {
        if (hasModuleDescriptor(jar)) {
          Path copy = copies.resolve(jar.getFileName());
          withoutModuleDescriptors(jar, copy);
          arguments.add(copy.toString());
        } else {
          arguments.add(jar.toString());
        }
      }
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = ToolProvider.findFirst("jdeps").orElseThrow()
        .run(new PrintWriter(out), new PrintWriter(err), arguments.toArray(String[]::new));
    assertThat(exit).as("jdeps over %s: %s", lib, err).isZero();
    String[] lines = out.toString().strip().split("\n");
    return Set.of(lines[lines.length - 1].strip().split(","));
  }

  private static boolean hasModuleDescriptor(Path jar) throws IOException {
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
      return zip.stream().anyMatch(entry -> entry.getName().endsWith("module-info.class"));
    }
  }

  private static void withoutModuleDescriptors(Path jar, Path copy) throws IOException {
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
      // a copy only jdeps reads, once: compressing it again would be most of this test's time
      out.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        if (!entry.getName().endsWith("module-info.class")) {
          out.putNextEntry(new ZipEntry(entry.getName()));
          in.transferTo(out);
          out.closeEntry();
        }
      }
    }
  }
}
