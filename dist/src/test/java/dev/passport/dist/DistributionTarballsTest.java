package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: the tarball is at most 60 MiB. The core tarball carries the host and the plugins of no
 * single cloud; each cloud's plugin ships in a tarball of its own, unpacked over the core. Read
 * from the tarballs the build wrote, as an operator gets them.
 */
class DistributionTarballsTest {

  private static final long MAX_CORE_BYTES = 60L * 1024 * 1024;

  @Test
  void core_isAtMost60MiB() throws IOException {
    assertThat(Files.size(Tarballs.core())).as("bytes of %s", Tarballs.core())
        .isLessThanOrEqualTo(MAX_CORE_BYTES);
  }

  @Test
  void core_holdsTheHostLicensingAndTheNoCloudPlugins_withTheirConfigurationOnly() throws Exception {
    List<String> files = files(Tarballs.entries(Tarballs.core()));

    assertThat(firstSegments(files, "")).containsExactlyInAnyOrder("bin", "lib", "conf", "plugins",
        "LICENSE", "NOTICE", "THIRD-PARTY.txt");
    assertThat(firstSegments(files, "plugins/")).containsExactlyInAnyOrderElementsOf(
        Tarballs.CORE_PLUGINS);
    // the host refuses a <id>.properties naming no loaded plugin: a cloud plugin's file would stop
    // the unpacked core from starting
    Set<String> conf = firstSegments(files, "conf/");
    assertThat(conf).contains("README.md")
        .containsAll(Tarballs.CORE_PLUGINS.stream().map(id -> id + ".properties").toList());
    assertThat(conf.stream().filter(f -> f.endsWith(".properties")))
        .hasSize(Tarballs.CORE_PLUGINS.size());
    assertThat(firstSegments(files, "bin/")).containsExactly("passport");
  }

  @Test
  void coreLib_isTheAssemblysLib_withoutTheAppCdsArchive_andWithoutAnyPluginsJar() throws Exception {
    Set<String> lib = firstSegments(files(Tarballs.entries(Tarballs.core())), "lib/");
    Set<String> assemblyJars = new TreeSet<>();
    try (Stream<Path> jars = Files.list(Tarballs.ASSEMBLY.resolve("lib"))) {
      jars.map(j -> j.getFileName().toString()).filter(n -> n.endsWith(".jar"))
          .forEach(assemblyJars::add);
    }

    // AssemblyClassPathTest: the assembly's lib/ is exactly the host's runtime class path
    assertThat(lib).isEqualTo(assemblyJars);
    Set<String> pluginJars = new TreeSet<>();
    for (String id : allPlugins()) {
      try (Stream<Path> jars = Files.list(Tarballs.ASSEMBLY.resolve("plugins").resolve(id)
          .resolve("lib"))) {
        jars.map(j -> j.getFileName().toString())
            .filter(n -> n.startsWith("passport-plugin-")).forEach(pluginJars::add);
      }
    }
    assertThat(pluginJars).as("the plugins' own jars").hasSizeGreaterThanOrEqualTo(6);
    assertThat(lib).doesNotContainAnyElementsOf(pluginJars)
        .noneMatch(n -> n.startsWith("passport-plugin-"));
  }

  @Test
  void eachCloudPluginTarball_holdsOnlyItsPluginDirectoryAndConfFile() throws Exception {
    for (String id : Tarballs.CLOUD_PLUGINS) {
      List<String> files = files(Tarballs.entries(Tarballs.plugin(id)));

      assertThat(files).as("files of %s", Tarballs.plugin(id))
          .allMatch(f -> f.startsWith("plugins/" + id + "/")
              || f.equals("conf/" + id + ".properties"))
          .contains("plugins/" + id + "/plugin.properties", "conf/" + id + ".properties");
      assertThat(files.stream().filter(f -> f.startsWith("plugins/" + id + "/")))
          .as("the assembly's plugins/%s, whole", id)
          .containsExactlyInAnyOrderElementsOf(assemblyFiles("plugins/" + id));
    }
  }

  /** Nothing the assembly ships is lost in the split: core + every plugin = assembly − tools. */
  @Test
  void coreAndEveryPluginTarball_togetherHoldTheAssembly_butItsToolsAndAppCdsArchive()
      throws Exception {
    List<String> shipped = new ArrayList<>(files(Tarballs.entries(Tarballs.core())));
    for (String id : Tarballs.CLOUD_PLUGINS) {
      shipped.addAll(files(Tarballs.entries(Tarballs.plugin(id))));
    }
    List<String> expected = assemblyFiles("").stream()
        .filter(f -> !f.startsWith("tools/") && !f.equals("lib/passport.jsa")).toList();

    assertThat(shipped).containsExactlyInAnyOrderElementsOf(expected);
  }

  private static Set<String> allPlugins() {
    Set<String> all = new TreeSet<>(Tarballs.CORE_PLUGINS);
    all.addAll(Tarballs.CLOUD_PLUGINS);
    return all;
  }

  /** The files (not directories) under passport-&lt;version&gt;/, relative to it. */
  private static List<String> files(List<String> entries) throws IOException {
    String top = Tarballs.top();
    List<String> files = new ArrayList<>();
    for (String entry : entries) {
      assertThat(entry).as("every entry under %s", top).startsWith(top);
      if (!entry.endsWith("/")) {
        files.add(entry.substring(top.length()));
      }
    }
    return files;
  }

  /** The names of what lies directly under {@code prefix}. */
  private static Set<String> firstSegments(List<String> files, String prefix) {
    Set<String> names = new TreeSet<>();
    for (String file : files) {
      if (file.startsWith(prefix)) {
        names.add(file.substring(prefix.length()).split("/", 2)[0]);
      }
    }
    return names;
  }

  /** The assembly's files under {@code directory} ("" for all), relative to the assembly. */
  private static List<String> assemblyFiles(String directory) throws IOException {
    try (Stream<Path> files = Files.walk(Tarballs.ASSEMBLY.resolve(directory))) {
      return files.filter(Files::isRegularFile)
          .map(f -> Tarballs.ASSEMBLY.relativize(f).toString()).toList();
    }
  }
}
