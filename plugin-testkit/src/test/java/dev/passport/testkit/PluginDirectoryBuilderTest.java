package dev.passport.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.testkit.fixtures.ProbeBackendFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginDirectoryBuilderTest {

  @TempDir Path pluginsDir;

  @Test
  void build_factoryClass_writesDescriptorAndJarWithNestedClassesAndServiceEntry()
      throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "probe")
            .version("1.2.3")
            .factory(ProbeBackendFactory.class)
            .build();

    assertThat(directory).isEqualTo(pluginsDir.resolve("probe"));
    assertThat(Files.readString(directory.resolve("plugin.properties"), UTF_8))
        .isEqualTo("plugin.id=probe\nplugin.version=1.2.3\n");
    try (JarFile jar = new JarFile(directory.resolve("lib/probe.jar").toFile())) {
      List<String> names = Collections.list(jar.entries()).stream().map(ZipEntry::getName).toList();
      assertThat(names)
          .contains(
              "dev/passport/testkit/fixtures/ProbeBackendFactory.class",
              "dev/passport/testkit/fixtures/ProbeBackendFactory$ProbeBackend.class");
      assertThat(
              new String(
                  jar.getInputStream(
                          jar.getEntry("META-INF/services/dev.passport.api.BackendFactory"))
                      .readAllBytes(),
                  UTF_8))
          .isEqualTo(ProbeBackendFactory.class.getName() + "\n");
    }
  }

  /** Other modules get the fixtures from a test jar, not from a classes directory. */
  @Test
  void build_classLoadedFromAJar_copiesItWithItsNestedClasses() throws Exception {
    Path fixturesJar =
        PluginDirectoryBuilder.plugin(pluginsDir, "source")
            .classes(ProbeBackendFactory.class)
            .build()
            .resolve("lib/source.jar");
    String fixturesPackage = ProbeBackendFactory.class.getPackageName() + ".";
    ClassLoader fixturesOnlyFromJar =
        new ClassLoader("hide-fixtures", PluginDirectoryBuilderTest.class.getClassLoader()) {
          @Override
          protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith(fixturesPackage)) {
              throw new ClassNotFoundException(name);
            }
            return super.loadClass(name, resolve);
          }
        };
    try (URLClassLoader jarLoader =
        new URLClassLoader(new URL[] {fixturesJar.toUri().toURL()}, fixturesOnlyFromJar)) {
      Class<?> fromJar = jarLoader.loadClass(ProbeBackendFactory.class.getName());
      assertThat(fromJar.getProtectionDomain().getCodeSource().getLocation().getPath())
          .endsWith("source.jar");

      Path directory = PluginDirectoryBuilder.plugin(pluginsDir, "copy").classes(fromJar).build();

      try (JarFile jar = new JarFile(directory.resolve("lib/copy.jar").toFile())) {
        assertThat(jar.getEntry("dev/passport/testkit/fixtures/ProbeBackendFactory.class"))
            .isNotNull();
        assertThat(
                jar.getEntry(
                    "dev/passport/testkit/fixtures/ProbeBackendFactory$ProbeBackend.class"))
            .isNotNull();
      }
    }
  }

  @Test
  void build_compiledSourcesUsingAnEarlierJar_compileAgainstIt() throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "layered")
            .compiled(
                "base.jar",
                Map.of("com.example.base.Base", "package com.example.base; public class Base {}"))
            .compiled(
                "derived.jar",
                Map.of(
                    "com.example.derived.Derived",
                    "package com.example.derived; public class Derived extends"
                        + " com.example.base.Base {}"))
            .build();

    try (JarFile jar = new JarFile(directory.resolve("lib/derived.jar").toFile())) {
      assertThat(jar.getEntry("com/example/derived/Derived.class")).isNotNull();
      assertThat(jar.getEntry("com/example/base/Base.class")).isNull();
    }
  }

  @Test
  void build_sourceDoesNotCompile_failsWithTheCompilerError() {
    PluginDirectoryBuilder builder =
        PluginDirectoryBuilder.plugin(pluginsDir, "broken")
            .compiled(
                "broken.jar",
                Map.of(
                    "com.example.Broken", "package com.example; class Broken { int x = \"\"; }"));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot compile broken.jar")
        .hasMessageContaining("incompatible types");
  }

  @Test
  void build_compiledJarNamedLikeThePluginJar_failsInsteadOfOverwritingIt() {
    PluginDirectoryBuilder builder =
        PluginDirectoryBuilder.plugin(pluginsDir, "clash")
            .compiled(
                "clash.jar", Map.of("com.example.Clash", "package com.example; class Clash {}"))
            .factory("com.example.Clash");

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("lib/clash.jar");
  }
}
