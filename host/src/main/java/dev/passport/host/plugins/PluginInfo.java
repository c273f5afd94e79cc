package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * A loaded plugin, for startup logs and health output.
 *
 * @param id the {@code plugin.id} of its descriptor
 * @param version the {@code plugin.version} of its descriptor
 * @param directory the plugin directory it was loaded from
 * @param backendNames the names of the backends it provides, sorted
 */
record PluginInfo(String id, String version, Path directory, Set<String> backendNames) {

  /** Checks presence and copies the names into a sorted set. */
  public PluginInfo {
    requireNonNull(id, "id is null");
    requireNonNull(version, "version is null");
    requireNonNull(directory, "directory is null");
    backendNames =
        Collections.unmodifiableSortedSet(
            new TreeSet<>(requireNonNull(backendNames, "backendNames is null")));
  }
}
