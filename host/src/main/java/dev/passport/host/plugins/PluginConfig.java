package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A plugin's configuration: {@code <config-dir>/<plugin-id>.properties}, with every {@code
 * ${ENV:NAME}} replaced by the value of the environment variable {@code NAME}, so that secrets can
 * come from a Kubernetes Secret mounted as environment instead of the ConfigMap.
 */
final class PluginConfig {

  /** Plugin ids name configuration files, so they must not reach outside the directory. */
  static final Pattern PLUGIN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private static final String SUFFIX = ".properties";
  private static final String REFERENCE_START = "${ENV:";
  private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private PluginConfig() {}

  /**
   * Reads and substitutes a plugin's configuration file.
   *
   * @param configDir the {@code --config-dir}; empty means every plugin has an empty configuration
   * @param pluginId the plugin whose file to read
   * @param env the environment to substitute from ({@code System.getenv()} in production)
   * @return the configuration, sorted by key; empty when the file does not exist
   * @throws PluginLoadException naming the file (and key and variable) when the directory is
   *     missing, the file cannot be read, or a referenced variable is not set
   */
  public static Map<String, String> load(
      Optional<Path> configDir, String pluginId, Map<String, String> env)
      throws PluginLoadException {
    requireNonNull(configDir, "configDir is null");
    requireNonNull(pluginId, "pluginId is null");
    requireNonNull(env, "env is null");
    if (!PLUGIN_ID.matcher(pluginId).matches()) {
      throw new IllegalArgumentException(
          "plugin id \"" + pluginId + "\" must match " + PLUGIN_ID.pattern());
    }
    if (configDir.isEmpty()) {
      return Map.of();
    }
    Path directory = configDir.get();
    if (!Files.isDirectory(directory)) {
      // a mistyped --config-dir must not silently run every plugin unconfigured
      throw new PluginLoadException(
          "config directory %s does not exist or is not a directory; fix --config-dir or create it"
              .formatted(directory));
    }
    Path file = directory.resolve(pluginId + SUFFIX);
    if (!Files.exists(file)) {
      return Map.of();
    }
    Properties properties = read(file);
    Map<String, String> config = new TreeMap<>();
    for (String key : properties.stringPropertyNames()) {
      config.put(key, substitute(file, key, properties.getProperty(key), env));
    }
    return Collections.unmodifiableMap(config);
  }

  /**
   * Refuses a {@code <id>.properties} in {@code configDir} whose id is no loaded plugin: a misnamed
   * file would otherwise leave its plugin silently unconfigured. Hidden entries (a ConfigMap
   * volume's {@code ..data}) and files of other extensions are not configuration files.
   */
  static void checkNoOrphans(Optional<Path> configDir, Collection<String> pluginIds)
      throws PluginLoadException {
    if (configDir.isEmpty() || !Files.isDirectory(configDir.get())) {
      return;
    }
    List<String> orphans = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(configDir.get(), "*.properties")) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        String id = name.substring(0, name.length() - SUFFIX.length());
        if (!name.startsWith(".") && Files.isRegularFile(entry) && !pluginIds.contains(id)) {
          orphans.add(name);
        }
      }
    } catch (IOException e) {
      throw new PluginLoadException(
          "config directory %s cannot be listed: %s"
              .formatted(configDir.get(), PluginLoadException.describe(e)),
          e);
    }
    if (!orphans.isEmpty()) {
      Collections.sort(orphans);
      throw new PluginLoadException(
          ("config directory %s: %s names no loaded plugin (loaded: %s); rename it to"
                  + " <plugin-id>.properties of a loaded plugin, or remove it from --config-dir")
              .formatted(configDir.get(), String.join(", ", orphans),
                  pluginIds.stream().sorted().toList()));
    }
  }

  private static Properties read(Path file) throws PluginLoadException {
    Properties properties = new Properties();
    // UTF-8 rather than Properties' ISO-8859-1 default: the files are written by humans in editors
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException | IllegalArgumentException e) {
      throw new PluginLoadException(
          "config file %s cannot be read as UTF-8 properties: %s"
              .formatted(file, PluginLoadException.describe(e)),
          e);
    }
    return properties;
  }

  /** Replaces each reference in a value; error messages name the key, never the value. */
  private static String substitute(Path file, String key, String value, Map<String, String> env)
      throws PluginLoadException {
    StringBuilder result = new StringBuilder();
    int position = 0;
    int start;
    while ((start = value.indexOf(REFERENCE_START, position)) >= 0) {
      int end = value.indexOf('}', start);
      String name = end < 0 ? "" : value.substring(start + REFERENCE_START.length(), end);
      if (!VARIABLE_NAME.matcher(name).matches()) {
        throw new PluginLoadException(
            ("config file %s: key %s has a malformed ${ENV:NAME} reference; NAME must be letters,"
                    + " digits and underscores, not starting with a digit")
                .formatted(file, key));
      }
      String replacement = env.get(name);
      if (replacement == null) {
        throw new PluginLoadException(
            ("config file %s: key %s refers to environment variable %s, which is not set; set %3$s"
                    + " in the container's environment or remove the reference")
                .formatted(file, key, name));
      }
      result.append(value, position, start).append(replacement);
      position = end + 1;
    }
    return result.append(value, position, value.length()).toString();
  }
}
