package dev.passport.api;

/**
 * The version of this plugin API.
 *
 * <p>A plugin declares the version it was built for in its descriptor, {@code plugin.properties}:
 * {@code plugin.requires=1.2}. The host loads it when the major versions are equal and the plugin's
 * minor version is not newer than the host's; otherwise startup stops with a message naming both.
 * Minor versions only add (new default methods, new optional fields, new {@link
 * BackendException.Kind}s); a major version may remove.
 */
public final class PluginApi {

  /** The major version: plugins built for another major version do not load. */
  public static final int MAJOR = 1;

  /** The minor version: plugins built for a newer minor version do not load. */
  public static final int MINOR = 2;

  /** {@code MAJOR.MINOR}, as plugins write it in {@code plugin.requires}. */
  public static final String VERSION = MAJOR + "." + MINOR;

  private PluginApi() {}
}
