package dev.passport.api;

import java.util.Map;

/**
 * Entry point of a plugin, found by {@link java.util.ServiceLoader}: a plugin lists its factory in
 * {@code META-INF/services/dev.passport.api.BackendFactory}, and declares the plugin API version
 * it was built for in {@code plugin.properties} ({@code plugin.requires}, see {@link PluginApi}).
 *
 * <p>The host calls {@link #create} once at startup, with the plugin's configuration file
 * ({@code <config-dir>/<name>.properties}) as a map. A factory should bind the map to its own
 * typed configuration and fail fast, naming any unknown or invalid key.
 */
public interface BackendFactory {

  /**
   * The backend name that volumes select with the volume attribute {@code backend}, e.g.
   * {@code vault}. Lower case letters, digits and dashes; unique across loaded plugins.
   */
  String name();

  /**
   * Creates the backend.
   *
   * @param config the plugin's configuration, already with {@code ${ENV:NAME}} substituted; never
   *     null, empty when the plugin has no configuration file
   * @param context services the host offers to the plugin
   * @return a backend, ready to serve concurrent fetches
   * @throws BackendException of kind {@link BackendException.Kind#INVALID_ARGUMENT} when the
   *     configuration is invalid; the host stops startup with the message
   */
  Backend<?> create(Map<String, String> config, BackendContext context) throws BackendException;
}
