package dev.passport.host.plugins;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.PluginApi;
import dev.passport.host.plugins.fixtures.ProbeBackendFactory;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.PluginDirectoryBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The loader's check of {@code plugin.requires} against the plugin API this host implements. */
class PluginApiVersionTest {

  @TempDir Path pluginsDir;
  @RegisterExtension final LogCapture logs = new LogCapture();

  @ParameterizedTest
  @ValueSource(strings = {"1.0", " 1.0 "})
  void load_builtForThisApi_loads(String requires) throws Exception {
    probe(requires);

    try (LoadedPlugins loaded = load()) {
      assertThat(loaded.backendNames()).containsExactly(ProbeBackendFactory.NAME);
    }
  }

  @Test
  void load_builtForANewerMajor_failsNamingTheDirectoryAndBothVersions() throws Exception {
    Path directory = probe("2.0");

    assertThatThrownBy(this::load)
        .isInstanceOf(PluginLoadException.class)
        .hasMessageStartingWith("plugin directory " + directory + ": plugin probe was built for"
            + " plugin API 2.0; this host implements " + PluginApi.VERSION);
  }

  @Test
  void load_builtForANewerMinor_failsNamingBothVersions() throws Exception {
    Path directory = probe(PluginApi.MAJOR + "." + (PluginApi.MINOR + 1));

    assertThatThrownBy(this::load)
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining(directory.toString())
        .hasMessageContaining("built for plugin API " + PluginApi.MAJOR + "." + (PluginApi.MINOR + 1))
        .hasMessageContaining("this host implements " + PluginApi.VERSION);
  }

  @Test
  void load_builtForAnOlderMajor_failsAskingForARebuild() throws Exception {
    probe("0.9");

    assertThatThrownBy(this::load)
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("built for plugin API 0.9; this host implements " + PluginApi.VERSION)
        .hasMessageContaining("Rebuild the plugin against plugin-api " + PluginApi.VERSION);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1", ">=1.0", "1.0.0", "one"})
  void load_requiresNotMajorDotMinor_failsShowingTheForm(String requires) throws Exception {
    Path directory = probe(requires);

    assertThatThrownBy(this::load)
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining(directory.toString())
        .hasMessageContaining("plugin.requires=" + requires.strip())
        .hasMessageContaining("e.g. plugin.requires=" + PluginApi.VERSION);
  }

  /** Plugins built before the check existed still load; the operator is told the one-line fix. */
  @Test
  void load_requiresMissing_loadsAndWarnsWithTheFix() throws Exception {
    Path directory = PluginDirectoryBuilder.plugin(pluginsDir, "probe")
        .factory(ProbeBackendFactory.class).build();

    try (LoadedPlugins loaded = load()) {
      assertThat(loaded.backendNames()).containsExactly(ProbeBackendFactory.NAME);
    }
    assertThat(logs.lines()).anyMatch(line -> line.startsWith("WARN")
        && line.contains(directory.toString())
        && line.contains("no plugin.requires")
        && line.contains("Add plugin.requires=" + PluginApi.VERSION));
  }

  private LoadedPlugins load() throws PluginLoadException {
    return PluginLoader.load(pluginsDir, Optional.empty(), TestContexts::contextFor, Map.of());
  }

  private Path probe(String requires) throws Exception {
    Path directory = PluginDirectoryBuilder.plugin(pluginsDir, "probe")
        .factory(ProbeBackendFactory.class).build();
    Files.writeString(directory.resolve("plugin.properties"), "plugin.requires=" + requires + "\n",
        UTF_8, StandardOpenOption.APPEND);
    return directory;
  }
}
