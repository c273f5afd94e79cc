package dev.passport.host.plugins;

import static dev.passport.host.plugins.TestContexts.fetch;
import static dev.passport.host.plugins.TestContexts.fetchRequest;
import static dev.passport.host.plugins.TestContexts.text;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendFactory;
import dev.passport.host.plugins.fixtures.ProbeBackendFactory;
import dev.passport.testkit.PluginDirectoryBuilder;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

class PluginLoaderTest {

  @TempDir Path pluginsDir;
  @TempDir Path configDir;

  private LoadedPlugins loaded;

  @AfterEach
  void closePlugins() {
    if (loaded != null) {
      loaded.close();
    }
  }

  private LoadedPlugins load() throws PluginLoadException {
    loaded =
        PluginLoader.load(pluginsDir, Optional.of(configDir), TestContexts::contextFor, Map.of());
    return loaded;
  }

  private Backend<?> backend(String name) {
    return loaded.backend(name).orElseThrow(() -> new AssertionError("no backend " + name));
  }

  private static Backend<?> pluginsOwn(Backend<?> backend) {
    return ((ContextClassLoaderBackend<?>) backend).delegate();
  }

  @Test
  void load_twoPluginsBundlingDifferentLibraryVersions_eachSeesItsOwn() throws Exception {
    versionPlugin("alpha", "1").build();
    versionPlugin("beta", "2").build();

    load();

    assertThat(text(fetch(backend("version-alpha"), Map.of()), "value"))
        .isEqualTo("1");
    assertThat(text(fetch(backend("version-beta"), Map.of()), "value")).isEqualTo("2");
  }

  /** Same factory class name in both plugins too: the two copies must not meet either. */
  private PluginDirectoryBuilder versionPlugin(String id, String libVersion) {
    String factory = "com.example.versions.VersionBackendFactory";
    return PluginDirectoryBuilder.plugin(pluginsDir, id)
        .compiled(
            "lib-" + libVersion + ".jar",
            Map.of(PluginSources.LIB_VERSION, PluginSources.libVersion(libVersion)))
        .compiled(
            id + "-backend.jar",
            Map.of(
                factory,
                PluginSources.factory(
                    factory, "version-" + id, PluginSources.LIB_VERSION + ".get()")))
        .factory(factory);
  }

  @Test
  void load_classAlsoOnHostClassPath_pluginUsesItsOwnCopy() throws Exception {
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();

    load();

    Backend<?> own = pluginsOwn(backend(ProbeBackendFactory.NAME));
    assertThat(own.getClass().getClassLoader())
        .isNotSameAs(PluginLoaderTest.class.getClassLoader());
    assertThat(own.getClass().getName()).startsWith(ProbeBackendFactory.class.getName());
  }

  @Test
  void fetch_insidePlugin_hostOnlyClassesAreInvisibleAndSharedApiComesFromHost() throws Exception {
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();
    load();
    String caffeine = "com.github.benmanes.caffeine.cache.Caffeine";
    String hostLoader = PluginLoader.class.getName();
    String grpc = "io.grpc.Server";

    var material =
        fetch(
            backend(ProbeBackendFactory.NAME),
                    Map.of(
                        "classes",
                        String.join(
                            ",",
                            caffeine,
                            hostLoader,
                            grpc,
                            Logger.class.getName(),
                            BackendFactory.class.getName(),
                            ProbeBackendFactory.class.getName())));

    assertThat(text(material, "classes/" + caffeine)).isEqualTo("ClassNotFoundException");
    assertThat(text(material, "classes/" + hostLoader)).isEqualTo("ClassNotFoundException");
    assertThat(text(material, "classes/" + grpc)).isEqualTo("ClassNotFoundException");
    assertThat(text(material, "classes/" + Logger.class.getName())).isEqualTo("other");
    assertThat(text(material, "classes/" + BackendFactory.class.getName())).isEqualTo("other");
    assertThat(text(material, "classes/" + ProbeBackendFactory.class.getName()))
        .isEqualTo("plugin");
  }

  @Test
  void load_sharedPackages_resolveToTheHostsClassObjects() throws Exception {
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();
    load();
    ClassLoader pluginLoader = ((ContextClassLoaderBackend<?>) backend("probe")).classLoader();

    assertThat(pluginLoader.loadClass(Logger.class.getName())).isSameAs(Logger.class);
    assertThat(pluginLoader.loadClass(BackendFactory.class.getName()))
        .isSameAs(BackendFactory.class);
    assertThat(pluginLoader.getParent()).isSameAs(ClassLoader.getPlatformClassLoader());
  }

  /** Logback's provider file is on the host's class path; a plugin must find only its own. */
  @Test
  void load_hostsServiceFiles_areInvisibleToThePlugin() throws Exception {
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();
    load();
    ClassLoader pluginLoader = ((ContextClassLoaderBackend<?>) backend("probe")).classLoader();
    String slf4jProviders = "META-INF/services/org.slf4j.spi.SLF4JServiceProvider";
    String factories = "META-INF/services/" + BackendFactory.class.getName();

    assertThat(
            Collections.list(PluginLoaderTest.class.getClassLoader().getResources(slf4jProviders)))
        .isNotEmpty();
    assertThat(Collections.list(pluginLoader.getResources(slf4jProviders))).isEmpty();
    assertThat(pluginLoader.getResource(slf4jProviders)).isNull();
    assertThat(Collections.list(pluginLoader.getResources(factories)))
        .singleElement()
        .satisfies(url -> assertThat(url.toString()).contains("/probe/lib/probe.jar!"));
  }

  @Test
  void load_pluginBundlingItsOwnSlf4j_stillGetsTheHostsSlf4j() throws Exception {
    PluginDirectoryBuilder.plugin(pluginsDir, "probe")
        .factory(ProbeBackendFactory.class)
        .jar(jarOf(Logger.class))
        .build();
    load();

    var material = fetch(backend("probe"), Map.of("classes", Logger.class.getName()));

    assertThat(text(material, "classes/" + Logger.class.getName())).isEqualTo("other");
    assertThat(
            ((ContextClassLoaderBackend<?>) backend("probe"))
                .classLoader()
                .loadClass(Logger.class.getName()))
        .isSameAs(Logger.class);
  }

  private static Path jarOf(Class<?> type) throws URISyntaxException {
    Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(location.toString()).endsWith(".jar");
    return location;
  }

  @Test
  void calls_intoPlugin_runUnderPluginContextLoaderAndRestoreTheCallers() throws Exception {
    Path closeLog = configDir.resolve("close.log");
    Files.writeString(configDir.resolve("probe.properties"), "close-log=" + closeLog + "\n", UTF_8);
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();
    load();
    Backend<?> probe = backend("probe");

    ClassLoader callers = new URLClassLoader("callers", new URL[0], null);
    Thread.currentThread().setContextClassLoader(callers);
    try {
      var material = prepareReleaseFetch(probe, callers);
      assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(callers);
      loaded.close();
      assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(callers);

      assertThat(text(material, "observations").lines())
          .containsExactly(
              "create=plugin", "prepare=plugin", "release=plugin", "fetch=plugin");
      assertThat(Files.readAllLines(closeLog, UTF_8)).containsExactly("close=plugin");
    } finally {
      Thread.currentThread().setContextClassLoader(PluginLoaderTest.class.getClassLoader());
    }
  }

  /** prepare, release, fetch, each checked to restore the caller's context loader. */
  private static <V extends dev.passport.api.PreparedVolume> dev.passport.api.Material
      prepareReleaseFetch(Backend<V> probe, ClassLoader callers) throws Exception {
    V volume = probe.prepare(Map.of());
    assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(callers);
    probe.release("csi-volume-1");
    assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(callers);
    var material = probe.fetch(volume, fetchRequest());
    assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(callers);
    return material;
  }

  @Test
  void close_calledTwice_closesEachBackendOnce() throws Exception {
    Path closeLog = configDir.resolve("close.log");
    Files.writeString(configDir.resolve("probe.properties"), "close-log=" + closeLog + "\n", UTF_8);
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();
    LoadedPlugins plugins = load();

    plugins.close();
    plugins.close();

    assertThat(Files.readAllLines(closeLog, UTF_8)).containsExactly("close=plugin");
  }

  @Test
  void load_configFile_reachesTheFactoryWithEnvironmentSubstituted() throws Exception {
    Files.writeString(
        configDir.resolve("probe.properties"), "address=https://${ENV:VAULT_HOST}:8200\n", UTF_8);
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();

    loaded =
        PluginLoader.load(
            pluginsDir,
            Optional.of(configDir),
            TestContexts::contextFor,
            Map.of("VAULT_HOST", "vault.internal"));

    assertThat(text(fetch(backend("probe"), Map.of()), "config/address"))
        .isEqualTo("https://vault.internal:8200");
  }

  @Test
  void plugins_afterLoad_describeIdVersionDirectoryAndBackends() throws Exception {
    Path probeDir =
        PluginDirectoryBuilder.plugin(pluginsDir, "probe")
            .version("2.3.4")
            .factory(ProbeBackendFactory.class)
            .build();
    versionPlugin("alpha", "1").version("0.9.0").build();

    load();

    assertThat(loaded.plugins())
        .containsExactly(
            new PluginInfo("alpha", "0.9.0", pluginsDir.resolve("alpha"), Set.of("version-alpha")),
            new PluginInfo("probe", "2.3.4", probeDir, Set.of("probe")));
    assertThat(loaded.backendNames()).containsExactly("probe", "version-alpha");
    assertThat(loaded.backend("absent")).isEmpty();
  }

  @Test
  void load_missingPluginsDirectory_failsNamingItAndTheFlag() {
    Path absent = pluginsDir.resolve("absent");

    assertThatThrownBy(
            () -> PluginLoader.load(absent, Optional.empty(), TestContexts::contextFor, Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessage("plugins directory " + absent + " does not exist; fix --plugins-dir (the"
            + " image's plugins are in /opt/passport/plugins)");
  }

  @Test
  void load_pluginsDirectoryWithOnlyStrayFiles_failsSayingItHoldsNoPlugin() throws Exception {
    Files.writeString(pluginsDir.resolve("README"), "plugins go here", UTF_8);
    Files.createDirectories(pluginsDir.resolve(".cache"));

    assertThatThrownBy(this::load)
        .isInstanceOf(PluginLoadException.class)
        .hasMessage("plugins directory " + pluginsDir + " holds no plugin (a directory with"
            + " plugin.properties and lib/*.jar); fix --plugins-dir or install a plugin there");
  }

  @Test
  void load_configFileNamingNoLoadedPlugin_failsNamingTheFileAndTheLoadedPlugins()
      throws Exception {
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();
    Files.writeString(configDir.resolve("prbe.properties"), "greeting=hi\n", UTF_8);

    assertThatThrownBy(this::load)
        .isInstanceOf(PluginLoadException.class)
        .hasMessage("config directory " + configDir + ": prbe.properties names no loaded plugin"
            + " (loaded: [probe]); rename it to <plugin-id>.properties of a loaded plugin, or"
            + " remove it from --config-dir");
  }

  @Test
  void load_configDirWithAConfigMapsHiddenEntriesAndOtherFiles_ignoresThem() throws Exception {
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();
    Files.createDirectories(configDir.resolve("..2026_12_01_00_00_00.1"));
    Files.writeString(configDir.resolve("..hidden.properties"), "", UTF_8);
    Files.writeString(configDir.resolve("README.md"), "notes", UTF_8);

    assertThat(load().backendNames()).containsExactly("probe");
  }

  @Test
  void load_pluginsDirectoryIsAFile_failsNamingIt() throws IOException {
    Path file = Files.writeString(pluginsDir.resolve("plugins"), "", UTF_8);

    assertThatThrownBy(
            () -> PluginLoader.load(file, Optional.empty(), TestContexts::contextFor, Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a directory");
  }

  @Test
  void load_twoBackendsInOnePluginAndAnotherPlugin_allAvailable() throws Exception {
    String first = "com.example.multi.FirstFactory";
    String second = "com.example.multi.SecondFactory";
    PluginDirectoryBuilder.plugin(pluginsDir, "multi")
        .compiled(
            "multi-impl.jar",
            Map.of(
                first, PluginSources.factory(first, "first", "\"1st\""),
                second, PluginSources.factory(second, "second", "\"2nd\"")))
        .factory(first)
        .factory(second)
        .build();
    PluginDirectoryBuilder.plugin(pluginsDir, "probe").factory(ProbeBackendFactory.class).build();

    load();

    assertThat(loaded.backendNames()).containsExactly("first", "probe", "second");
    assertThat(loaded.plugins().get(0).backendNames()).containsExactly("first", "second");
    assertThat(
            List.of(
                text(fetch(backend("first"), Map.of()), "value"),
                text(fetch(backend("second"), Map.of()), "value")))
        .containsExactly("1st", "2nd");
  }
}
