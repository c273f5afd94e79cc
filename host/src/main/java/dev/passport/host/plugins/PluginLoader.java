package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every plugin directory under the plugins directory and creates its backends.
 *
 * <p>A plugin directory holds a pf4j descriptor ({@code plugin.properties} with {@code plugin.id}
 * and {@code plugin.version}) and a {@code lib/} of ordinary jars, one of which lists the plugin's
 * factories in {@code META-INF/services/dev.passport.api.BackendFactory}. Each plugin gets its own
 * isolated class loader. Anything wrong stops startup with a {@link PluginLoadException} naming the
 * directory and the cause.
 */
public final class PluginLoader {

  private static final Logger log = LoggerFactory.getLogger(PluginLoader.class);

  private static final Pattern BACKEND_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");

  private PluginLoader() {}

  /**
   * Loads all plugins and creates their backends.
   *
   * @param pluginsDir the {@code --plugins-dir}; it must hold at least one plugin directory (a
   *     missing or empty one is a deployment mistake: a driver without backends fails every volume)
   * @param configDir the {@code --config-dir} holding {@code <plugin-id>.properties} files
   * @param contextForPlugin the context to pass to a plugin's factories, by plugin id
   * @param env for {@code ${ENV:NAME}} substitution ({@code System.getenv()} in production)
   * @throws PluginLoadException naming the plugin directory (or configuration file) and the cause,
   *     also when {@code pluginsDir} is missing or holds no plugin, or when {@code configDir} holds
   *     a {@code <id>.properties} naming no loaded plugin; every plugin loaded so far is closed again
   */
  public static LoadedPlugins load(
      Path pluginsDir,
      Optional<Path> configDir,
      Function<String, BackendContext> contextForPlugin,
      Map<String, String> env)
      throws PluginLoadException {
    requireNonNull(pluginsDir, "pluginsDir is null");
    requireNonNull(configDir, "configDir is null");
    requireNonNull(contextForPlugin, "contextForPlugin is null");
    requireNonNull(env, "env is null");
    if (!Files.exists(pluginsDir)) {
      throw new PluginLoadException(
          "plugins directory " + pluginsDir + " does not exist; fix --plugins-dir (the image's"
              + " plugins are in /opt/passport/plugins)");
    }
    if (!Files.isDirectory(pluginsDir)) {
      throw new PluginLoadException(
          "plugins directory " + pluginsDir + " is not a directory; fix --plugins-dir");
    }
    warnAboutStrayFiles(pluginsDir);

    PassportPluginManager pluginManager = new PassportPluginManager(pluginsDir);
    Map<String, ContextClassLoaderBackend<?>> backends = new LinkedHashMap<>();
    Map<String, Path> owners = new LinkedHashMap<>();
    List<PluginInfo> plugins = new ArrayList<>();
    try {
      List<Path> directories = pluginManager.pluginDirectories();
      if (directories.isEmpty()) {
        // A driver without backends would report healthy and fail every volume ("unknown backend").
        throw new PluginLoadException(
            ("plugins directory %s holds no plugin (a directory with plugin.properties and"
                    + " lib/*.jar); fix --plugins-dir or install a plugin there")
                .formatted(pluginsDir));
      }
      for (Path directory : directories) {
        PluginWrapper plugin = loadPlugin(pluginManager, directory);
        Map<String, ContextClassLoaderBackend<?>> created =
            createBackends(plugin, directory, owners, configDir, contextForPlugin, env);
        backends.putAll(created);
        created.keySet().forEach(name -> owners.put(name, directory));
        PluginInfo info =
            new PluginInfo(
                plugin.getPluginId(),
                plugin.getDescriptor().getVersion(),
                directory,
                created.keySet());
        plugins.add(info);
        log.info(
            "loaded plugin {} {} from {}: backends {}",
            info.id(),
            info.version(),
            info.directory(),
            info.backendNames());
      }
      PluginConfig.checkNoOrphans(configDir, plugins.stream().map(PluginInfo::id).toList());
    } catch (PluginLoadException | RuntimeException | Error e) {
      LoadedPlugins.closeBackends(backends);
      LoadedPlugins.unload(pluginManager);
      throw e;
    }
    // pf4j's lifecycle only: plugins have no plugin.class, so starting runs no plugin code
    pluginManager.startPlugins();
    return new LoadedPlugins(pluginManager, backends, plugins);
  }

  private static void warnAboutStrayFiles(Path pluginsDir) throws PluginLoadException {
    if (!Files.isDirectory(pluginsDir)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(pluginsDir)) {
      for (Path entry : entries) {
        if (!Files.isDirectory(entry) && !entry.getFileName().toString().startsWith(".")) {
          log.warn("ignoring {}: a plugin is a directory with plugin.properties and lib/", entry);
        }
      }
    } catch (IOException e) {
      throw new PluginLoadException(
          "plugins directory %s cannot be listed: %s"
              .formatted(pluginsDir, PluginLoadException.describe(e)),
          e);
    }
  }

  private static PluginWrapper loadPlugin(PassportPluginManager pluginManager, Path directory)
      throws PluginLoadException {
    if (!Files.isRegularFile(directory.resolve(PassportPluginManager.DESCRIPTOR))) {
      throw PluginLoadException.inDirectory(
          directory,
          ("no %1$s descriptor; a plugin directory holds %1$s (plugin.id, plugin.version)"
                  + " and lib/*.jar")
              .formatted(PassportPluginManager.DESCRIPTOR));
    }
    try {
      return pluginManager.getPlugin(pluginManager.loadPluginDirectory(directory));
    } catch (PassportPluginManager.PluginProblem e) {
      throw new PluginLoadException("plugin directory " + directory + ": " + e.getMessage(), e);
    } catch (PluginRuntimeException | IllegalArgumentException e) {
      throw PluginLoadException.inDirectory(directory, "cannot load the plugin", e);
    }
  }

  private static Map<String, ContextClassLoaderBackend<?>> createBackends(
      PluginWrapper plugin,
      Path directory,
      Map<String, Path> owners,
      Optional<Path> configDir,
      Function<String, BackendContext> contextForPlugin,
      Map<String, String> env)
      throws PluginLoadException {
    ClassLoader loader = plugin.getPluginClassLoader();
    List<BackendFactory> factories = discoverFactories(directory, loader);
    if (factories.isEmpty()) {
      throw PluginLoadException.inDirectory(
          directory,
          "no BackendFactory found; a jar in lib/ must list the factory class in"
              + " META-INF/services/"
              + BackendFactory.class.getName());
    }
    Map<String, BackendFactory> factoriesByName = new LinkedHashMap<>();
    for (BackendFactory factory : factories) {
      String name = backendName(directory, loader, factory);
      if (factoriesByName.containsKey(name)) {
        throw PluginLoadException.inDirectory(
            directory,
            ("backend name \"%s\" of %s is already taken by %s in the same plugin; backend names"
                    + " must be unique")
                .formatted(
                    name,
                    factory.getClass().getName(),
                    factoriesByName.get(name).getClass().getName()));
      }
      if (owners.containsKey(name)) {
        throw PluginLoadException.inDirectory(
            directory,
            ("backend name \"%s\" of %s is already taken by plugin directory %s; backend names must"
                    + " be unique across plugins, remove one of the two plugins")
                .formatted(name, factory.getClass().getName(), owners.get(name)));
      }
      factoriesByName.put(name, factory);
    }

    String pluginId = plugin.getPluginId();
    Map<String, String> config = PluginConfig.load(configDir, pluginId, env);
    BackendContext context =
        requireNonNull(
            contextForPlugin.apply(pluginId), "context for plugin " + pluginId + " is null");
    Map<String, ContextClassLoaderBackend<?>> created = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, BackendFactory> entry : factoriesByName.entrySet()) {
        created.put(
            entry.getKey(),
            ContextClassLoaderBackend.wrap(
                create(directory, loader, entry.getKey(), entry.getValue(), config, context),
                loader));
      }
    } catch (PluginLoadException | RuntimeException | Error e) {
      LoadedPlugins.closeBackends(created);
      throw e;
    }
    return created;
  }

  /** Only the plugin's own factories: a provider defined by another loader is not its to offer. */
  private static List<BackendFactory> discoverFactories(Path directory, ClassLoader loader)
      throws PluginLoadException {
    try {
      return inContext(
          loader,
          () ->
              ServiceLoader.load(BackendFactory.class, loader).stream()
                  .filter(provider -> provider.type().getClassLoader() == loader)
                  .map(ServiceLoader.Provider::get)
                  .toList());
    } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
      throw PluginLoadException.inDirectory(directory, "cannot load its BackendFactory", e);
    }
  }

  private static String backendName(Path directory, ClassLoader loader, BackendFactory factory)
      throws PluginLoadException {
    String name;
    try {
      name = inContext(loader, factory::name);
    } catch (LinkageError | RuntimeException e) {
      throw PluginLoadException.inDirectory(
          directory, factory.getClass().getName() + ".name() failed", e);
    }
    if (name == null || !BACKEND_NAME.matcher(name).matches()) {
      throw PluginLoadException.inDirectory(
          directory,
          factory.getClass().getName()
              + " names its backend "
              + (name == null ? "null" : "\"" + name + "\"")
              + "; a backend name is lower-case letters, digits and dashes, starting and ending"
              + " with a letter or digit");
    }
    return name;
  }

  private static Backend<?> create(
      Path directory,
      ClassLoader loader,
      String name,
      BackendFactory factory,
      Map<String, String> config,
      BackendContext context)
      throws PluginLoadException {
    try {
      return requireNonNull(
          inContext(
              loader,
              () -> {
                try {
                  return factory.create(config, context);
                } catch (BackendException e) {
                  throw new CreateFailed(e);
                }
              }),
          "returned a null backend");
    } catch (CreateFailed e) {
      throw new PluginLoadException(
          "plugin directory %s: backend %s cannot be created: %s"
              .formatted(directory, name, e.getCause().getMessage()),
          e.getCause());
    } catch (LinkageError | RuntimeException e) {
      throw PluginLoadException.inDirectory(
          directory,
          "backend " + name + " cannot be created by " + factory.getClass().getName(),
          e);
    }
  }

  private static <T> T inContext(ClassLoader loader, Supplier<T> action) {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      return action.get();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  /** Carries a factory's checked exception out of {@link #inContext}. */
  private static final class CreateFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CreateFailed(BackendException cause) {
      super(cause);
    }
  }
}
