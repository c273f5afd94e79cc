package dev.passport.host.plugins;

import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.jar.JarFile;
import org.pf4j.BasePluginRepository;
import org.pf4j.DefaultPluginManager;
import org.pf4j.Plugin;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginDescriptorFinder;
import org.pf4j.PluginFactory;
import org.pf4j.PluginRepository;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PluginStatusProvider;
import org.pf4j.PluginWrapper;
import org.pf4j.PropertiesPluginDescriptorFinder;
import org.pf4j.RuntimeMode;

/**
 * pf4j configured for Passport's plugin layout: every non-hidden directory of the plugins directory
 * is a plugin with a {@code plugin.properties} descriptor and a {@code lib/} of jars, loaded by an
 * {@link IsolatedPluginClassLoader}. pf4j's defaults are replaced where they would surprise an
 * operator: development mode from a system property, zip extraction into the plugins directory,
 * {@code enabled.txt}/{@code disabled.txt} files, and a class loader whose parent is the
 * application loader.
 */
final class PassportPluginManager extends DefaultPluginManager {

  static final String DESCRIPTOR = "plugin.properties";
  static final String LIB = "lib";

  PassportPluginManager(Path pluginsDir) {
    super(pluginsDir);
  }

  /**
   * Loads one plugin directory, checking first what pf4j would report with less helpful messages.
   *
   * @return the plugin id
   * @throws PluginProblem with a message for the operator
   * @throws PluginRuntimeException for anything else pf4j refuses
   */
  String loadPluginDirectory(Path directory) {
    PluginDescriptor descriptor = getPluginDescriptorFinder().find(directory);
    String id = descriptor.getPluginId();
    if (id == null || id.isBlank()) {
      throw new PluginProblem(DESCRIPTOR + " has no plugin.id");
    }
    if (!PluginConfig.PLUGIN_ID.matcher(id).matches()) {
      throw new PluginProblem(
          ("%s has plugin.id \"%s\"; a plugin id is letters, digits, '.', '_' and '-', starting"
                  + " with a letter or digit, because it names the config file <id>.properties")
              .formatted(DESCRIPTOR, id));
    }
    if (descriptor.getVersion() == null || descriptor.getVersion().isBlank()) {
      throw new PluginProblem(DESCRIPTOR + " has no plugin.version");
    }
    ApiVersionCheck.check(directory, id, descriptor.getRequires());
    PluginWrapper sameId = getPlugin(id);
    if (sameId != null) {
      throw new PluginProblem(
          ("plugin id %s is already used by plugin directory %s; plugin ids must be unique,"
                  + " remove one of the two directories")
              .formatted(id, sameId.getPluginPath()));
    }
    return loadPlugin(directory);
  }

  /** The plugin directories, sorted by name so that startup is the same on every node. */
  List<Path> pluginDirectories() {
    return pluginRepository.getPluginPaths();
  }

  /**
   * {@link ApiVersionCheck} decides whether a plugin's {@code plugin.requires} fits; pf4j would
   * read it as a semver range over the host's version (and "1.0" is not semver to it).
   */
  @Override
  protected boolean isPluginValid(PluginWrapper pluginWrapper) {
    return true;
  }

  @Override
  public RuntimeMode getRuntimeMode() {
    return RuntimeMode.DEPLOYMENT;
  }

  @Override
  protected PluginDescriptorFinder createPluginDescriptorFinder() {
    return new PropertiesPluginDescriptorFinder(DESCRIPTOR);
  }

  @Override
  protected PluginRepository createPluginRepository() {
    BasePluginRepository repository =
        new BasePluginRepository(getPluginsRoots(), file -> file.isDirectory() && !file.isHidden());
    repository.setComparator(Comparator.comparing(File::getName));
    return repository;
  }

  @Override
  protected org.pf4j.PluginLoader createPluginLoader() {
    return new IsolatingLoader();
  }

  /** Plugins declare no {@code plugin.class}; their entry points are ServiceLoader factories. */
  @Override
  protected PluginFactory createPluginFactory() {
    return wrapper -> new Plugin();
  }

  @Override
  protected PluginStatusProvider createPluginStatusProvider() {
    return new EveryPluginEnabled();
  }

  private static final class IsolatingLoader implements org.pf4j.PluginLoader {

    @Override
    public boolean isApplicable(Path pluginPath) {
      return Files.isDirectory(pluginPath);
    }

    @Override
    public ClassLoader loadPlugin(Path pluginPath, PluginDescriptor descriptor) {
      List<URL> jars = new ArrayList<>();
      for (Path jar : jars(pluginPath.resolve(LIB))) {
        jars.add(checkedJarUrl(jar));
      }
      return new IsolatedPluginClassLoader(
          descriptor.getPluginId(), jars, PassportPluginManager.class.getClassLoader());
    }

    private static List<Path> jars(Path lib) {
      if (!Files.isDirectory(lib)) {
        return List.of();
      }
      List<Path> jars = new ArrayList<>();
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(lib, "*.jar")) {
        stream.forEach(jars::add);
      } catch (IOException e) {
        throw new PluginProblem(LIB + "/ cannot be listed: " + e, e);
      }
      jars.sort(Comparator.comparing(Path::toString));
      return jars;
    }

    /**
     * Opens the jar once, because URLClassLoader silently skips a jar it cannot open and the
     * operator would see "no BackendFactory" or a NoClassDefFoundError instead of the real cause.
     */
    private static URL checkedJarUrl(Path jar) {
      try (JarFile ignored = new JarFile(jar.toFile())) {
        return jar.toUri().toURL();
      } catch (MalformedURLException e) {
        throw new PluginProblem("cannot turn " + jar + " into a URL: " + e.getMessage(), e);
      } catch (IOException e) {
        throw new PluginProblem(
            "%s/%s is not a readable jar (%s); replace it with a valid jar"
                .formatted(LIB, jar.getFileName(), e.getMessage()),
            e);
      }
    }
  }

  /** A plugin directory problem whose message is meant for the operator as it is. */
  static final class PluginProblem extends PluginRuntimeException {
    private static final long serialVersionUID = 1L;

    PluginProblem(String message) {
      super(message);
    }

    PluginProblem(String message, Throwable cause) {
      // not super(cause, message): pf4j formats that message, and a path may contain '%'
      super(message);
      initCause(cause);
    }
  }

  private static final class EveryPluginEnabled implements PluginStatusProvider {

    @Override
    public boolean isPluginDisabled(String pluginId) {
      return false;
    }

    @Override
    public void disablePlugin(String pluginId) {
      throw new UnsupportedOperationException(
          "plugins are enabled by their presence in the plugins directory");
    }

    @Override
    public void enablePlugin(String pluginId) {}
  }
}
