package dev.passport.host.plugins;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.host.plugins.fixtures.FailingBackendFactory;
import dev.passport.host.plugins.fixtures.ProbeBackendFactory;
import dev.passport.testkit.PluginDirectoryBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every broken plugin directory stops startup with a message naming the directory and the cause.
 */
class PluginLoaderFailureTest {

  @TempDir Path pluginsDir;
  @TempDir Path configDir;
  @TempDir Path scratch;

  private AbstractThrowableAssert<?, ? extends Throwable> assertLoadFails(Path directory) {
    return assertThatThrownBy(
            () ->
                PluginLoader.load(
                    pluginsDir, Optional.of(configDir), TestContexts::contextFor, Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageStartingWith("plugin directory " + directory + ": ");
  }

  @Test
  void load_directoryWithoutDescriptor_failsNamingTheDescriptor() throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "nameless")
            .withoutDescriptor()
            .factory(ProbeBackendFactory.class)
            .build();

    assertLoadFails(directory).hasMessageContaining("no plugin.properties");
  }

  @Test
  void load_descriptorWithoutId_failsNamingTheField() throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "anonymous")
            .factory(ProbeBackendFactory.class)
            .build();
    Files.writeString(directory.resolve("plugin.properties"), "plugin.version=1.0.0\n", UTF_8);

    assertLoadFails(directory).hasMessageEndingWith(": plugin.properties has no plugin.id");
  }

  @Test
  void load_pluginIdWithPathSeparator_failsStatingTheRule() throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "sneaky")
            .factory(ProbeBackendFactory.class)
            .build();
    Files.writeString(
        directory.resolve("plugin.properties"),
        "plugin.id=../sneaky\nplugin.version=1.0.0\n",
        UTF_8);

    assertLoadFails(directory)
        .hasMessageContaining("plugin.id \"../sneaky\"")
        .hasMessageContaining("names the config file");
  }

  @Test
  void load_corruptJar_failsNamingTheJar() throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "corrupt")
            .factory(ProbeBackendFactory.class)
            .build();
    Files.write(directory.resolve("lib/broken.jar"), "not a zip file".getBytes(UTF_8));

    assertLoadFails(directory)
        .hasMessageContaining("lib/broken.jar is not a readable jar")
        .hasMessageContaining("replace it with a valid jar");
  }

  @Test
  void load_factoryCreateThrows_failsWithTheFactorysMessage() throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "failing")
            .factory(FailingBackendFactory.class)
            .build();

    assertLoadFails(directory)
        .hasMessage(
            "plugin directory "
                + directory
                + ": backend failing cannot be created: "
                + FailingBackendFactory.MESSAGE);
  }

  @Test
  void load_factoryNeedsAClassMissingFromLib_failsNamingTheMissingClass() throws Exception {
    Path libraryJar =
        PluginDirectoryBuilder.plugin(scratch, "library")
            .compiled("lib-1.jar", Map.of(PluginSources.LIB_VERSION, PluginSources.libVersion("1")))
            .build()
            .resolve("lib/lib-1.jar");
    String factory = "com.example.incomplete.IncompleteFactory";
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "incomplete")
            .compiled(
                "incomplete-impl.jar",
                Map.of(
                    factory,
                    PluginSources.factory(
                        factory,
                        "incomplete",
                        "version",
                        "private final String version = " + PluginSources.LIB_VERSION + ".get();")),
                libraryJar)
            .factory(factory)
            .build();

    assertLoadFails(directory)
        .hasMessageContaining("cannot load its BackendFactory")
        .hasMessageContaining(factory)
        .hasMessageContaining("NoClassDefFoundError: com/example/shared/LibVersion");
  }

  @Test
  void load_listedFactoryClassDoesNotExist_failsNamingTheClass() throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "typo")
            .classes(ProbeBackendFactory.class)
            .factory("com.example.typo.ProbeBackendFactroy")
            .build();

    assertLoadFails(directory)
        .hasMessageContaining("com.example.typo.ProbeBackendFactroy not found");
  }

  @Test
  void load_pluginWithoutFactory_failsExplainingTheServicesFile() throws Exception {
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "empty")
            .classes(ProbeBackendFactory.class)
            .build();

    assertLoadFails(directory)
        .hasMessageContaining("no BackendFactory found")
        .hasMessageContaining("META-INF/services/dev.passport.api.BackendFactory");
  }

  @Test
  void load_sameBackendNameInTwoPlugins_failsNamingBothDirectories() throws Exception {
    Path first =
        PluginDirectoryBuilder.plugin(pluginsDir, "probe-a")
            .factory(ProbeBackendFactory.class)
            .build();
    Path second =
        PluginDirectoryBuilder.plugin(pluginsDir, "probe-b")
            .factory(ProbeBackendFactory.class)
            .build();

    assertLoadFails(second)
        .hasMessageContaining("backend name \"probe\"")
        .hasMessageContaining("already taken by plugin directory " + first);
  }

  @Test
  void load_sameBackendNameTwiceInOnePlugin_failsNamingBothFactories() throws Exception {
    String first = "com.example.twins.FirstFactory";
    String second = "com.example.twins.SecondFactory";
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "twins")
            .compiled(
                "twins-impl.jar",
                Map.of(
                    first, PluginSources.factory(first, "twin", "\"1\""),
                    second, PluginSources.factory(second, "twin", "\"2\"")))
            .factory(first)
            .factory(second)
            .build();

    assertLoadFails(directory)
        .hasMessageContaining("backend name \"twin\" of " + second)
        .hasMessageContaining("already taken by " + first + " in the same plugin");
  }

  @Test
  void load_samePluginIdInTwoDirectories_failsNamingBoth() throws Exception {
    Path original =
        PluginDirectoryBuilder.plugin(pluginsDir, "probe")
            .factory(ProbeBackendFactory.class)
            .build();
    Path copy =
        PluginDirectoryBuilder.plugin(pluginsDir, "probe-copy")
            .factory(ProbeBackendFactory.class)
            .build();
    Files.writeString(
        copy.resolve("plugin.properties"), "plugin.id=probe\nplugin.version=1.0.0\n", UTF_8);

    assertLoadFails(copy)
        .hasMessageContaining("plugin id probe is already used by plugin directory " + original);
  }

  @Test
  void load_backendNameWithUpperCase_failsStatingTheRule() throws Exception {
    String factory = "com.example.shouting.ShoutingFactory";
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "shouting")
            .compiled(
                "shouting-impl.jar",
                Map.of(factory, PluginSources.factory(factory, "Vault_2", "\"\"")))
            .factory(factory)
            .build();

    assertLoadFails(directory)
        .hasMessageContaining(factory + " names its backend \"Vault_2\"")
        .hasMessageContaining("lower-case letters, digits and dashes");
  }

  @Test
  void load_factoryConstructorThrows_failsWithTheCause() throws Exception {
    String factory = "com.example.exploding.ExplodingFactory";
    Path directory =
        PluginDirectoryBuilder.plugin(pluginsDir, "exploding")
            .compiled(
                "exploding-impl.jar",
                Map.of(
                    factory,
                    PluginSources.factory(
                        factory,
                        "exploding",
                        "\"\"",
                        "public ExplodingFactory() { throw new IllegalStateException(\"no disk\");"
                            + " }")))
            .factory(factory)
            .build();

    assertLoadFails(directory)
        .hasMessageContaining(factory + " could not be instantiated")
        .hasMessageContaining("IllegalStateException: no disk");
  }

  @Test
  void load_secondPluginBroken_closesTheBackendsOfTheFirst() throws Exception {
    Path closeLog = configDir.resolve("close.log");
    Files.writeString(
        configDir.resolve("a-probe.properties"), "close-log=" + closeLog + "\n", UTF_8);
    PluginDirectoryBuilder.plugin(pluginsDir, "a-probe").factory(ProbeBackendFactory.class).build();
    Path broken =
        PluginDirectoryBuilder.plugin(pluginsDir, "b-failing")
            .factory(FailingBackendFactory.class)
            .build();

    assertLoadFails(broken);

    assertThat(Files.readAllLines(closeLog, UTF_8)).containsExactly("close=plugin");
  }

  @Test
  void load_configReferencesUnsetVariable_failsNamingFileKeyAndVariable() throws Exception {
    Path configFile =
        Files.writeString(
            configDir.resolve("probe.properties"), "token=${ENV:PROBE_TOKEN}\n", UTF_8);
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();

    assertThatThrownBy(
            () ->
                PluginLoader.load(
                    pluginsDir, Optional.of(configDir), TestContexts::contextFor, Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining(configFile.toString())
        .hasMessageContaining("key token")
        .hasMessageContaining("PROBE_TOKEN");
  }
}
