package dev.passport.host.plugins;

import dev.passport.api.PluginApi;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin API version a plugin was built for ({@code plugin.requires} in its descriptor)
 * against the one this host implements: the same major, and a minor no newer than the host's.
 * pf4j's own check of {@code plugin.requires} is switched off ({@link PassportPluginManager}):
 * it reads the value as a semver range of the host's version, which is not what it means here.
 */
final class ApiVersionCheck {

  private static final Logger LOG = LoggerFactory.getLogger(ApiVersionCheck.class);
  private static final Pattern VERSION = Pattern.compile("(\\d{1,4})\\.(\\d{1,4})");
  /** What pf4j reports when the descriptor has no {@code plugin.requires}. */
  private static final String UNSET = "*";

  private ApiVersionCheck() {}

  /**
   * @param requires the descriptor's {@code plugin.requires}; blank or {@code *} when absent
   * @throws PassportPluginManager.PluginProblem when the host cannot serve the plugin
   */
  static void check(Path directory, String pluginId, String requires) {
    String value = requires == null ? "" : requires.strip();
    if (value.isEmpty() || value.equals(UNSET)) {
      // Warn, not fail: plugins built before the check existed still load, and the fix is one line.
      LOG.warn("plugin directory {}: plugin.properties has no plugin.requires; assuming plugin API"
          + " {}. Add plugin.requires={} (the plugin-api version it was built with)", directory,
          PluginApi.VERSION, PluginApi.VERSION);
      return;
    }
    Matcher m = VERSION.matcher(value);
    if (!m.matches()) {
      throw new PassportPluginManager.PluginProblem(("plugin.properties has plugin.requires=%s;"
          + " write the plugin API version the plugin was built for as major.minor, e.g."
          + " plugin.requires=%s").formatted(value, PluginApi.VERSION));
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    if (major != PluginApi.MAJOR || minor > PluginApi.MINOR) {
      throw new PassportPluginManager.PluginProblem(("plugin %s was built for plugin API %d.%d;"
          + " this host implements %s. %s").formatted(pluginId, major, minor, PluginApi.VERSION,
          major == PluginApi.MAJOR || major > PluginApi.MAJOR
              ? "Run a host that implements " + major + "." + minor + " or newer, or use a"
                  + " release of the plugin built for " + PluginApi.VERSION
              : "Rebuild the plugin against plugin-api " + PluginApi.VERSION));
    }
  }
}
