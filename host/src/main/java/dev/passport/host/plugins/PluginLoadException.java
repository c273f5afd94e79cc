package dev.passport.host.plugins;

import java.nio.file.Path;

/**
 * A plugin that cannot be loaded at startup. The message names the plugin directory (or the
 * configuration file) and the cause, e.g. {@code plugin directory /opt/passport/plugins/vault:
 * cannot load dev.x.Factory: NoClassDefFoundError: com/foo/Bar}; the host prints it and exits, so
 * that Kubernetes shows a crash loop instead of a half-working driver.
 */
public final class PluginLoadException extends Exception {

  private static final long serialVersionUID = 1L;

  /** An exception whose message is shown to the operator as is. */
  public PluginLoadException(String message) {
    super(message);
  }

  /** An exception whose message is shown to the operator as is, with the underlying cause. */
  public PluginLoadException(String message, Throwable cause) {
    super(message, cause);
  }

  static PluginLoadException inDirectory(Path directory, String problem) {
    return new PluginLoadException("plugin directory " + directory + ": " + problem);
  }

  static PluginLoadException inDirectory(Path directory, String problem, Throwable cause) {
    return new PluginLoadException(
        "plugin directory " + directory + ": " + problem + ": " + describe(cause), cause);
  }

  /**
   * The chain of causes as one line, because the interesting part of a class loading failure (the
   * missing class) is usually two or three causes deep, and operators only see the message.
   */
  static String describe(Throwable throwable) {
    StringBuilder text = new StringBuilder();
    Throwable current = throwable;
    for (int depth = 0; current != null && depth < 5; depth++) {
      if (depth > 0) {
        text.append("; caused by ");
      }
      text.append(current.getClass().getSimpleName());
      if (current.getMessage() != null) {
        text.append(": ").append(current.getMessage());
      }
      current = current.getCause() == current ? null : current.getCause();
    }
    return text.toString();
  }
}
