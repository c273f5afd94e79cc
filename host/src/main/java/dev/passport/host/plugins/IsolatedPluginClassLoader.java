package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * One plugin's class loader, after Trino's {@code PluginClassLoader}: the platform loader is the
 * parent, so a plugin sees the JDK and its own {@code lib/*.jar} but none of the host's libraries
 * (gRPC, protobuf, Jackson, Caffeine). Only the plugin API and SLF4J come from the host, because
 * their types cross the boundary: a {@code Backend} the host cannot cast, or a logger the host's
 * logback does not serve, would be useless.
 *
 * <p>Classes resolve in this order: host allow-list, JDK, plugin jars. The JDK before the jars
 * keeps a bundled {@code xml-apis}-style jar from shadowing platform classes such as {@code
 * org.w3c.dom}, which ends in LinkageErrors. Against the host, the plugin's jars always win,
 * because the host is not on the delegation path at all.
 */
final class IsolatedPluginClassLoader extends URLClassLoader {

  static {
    registerAsParallelCapable();
  }

  private static final List<String> HOST_PACKAGES = List.of("dev.passport.api.", "org.slf4j.");
  private static final List<String> HOST_RESOURCE_PREFIXES =
      List.of("dev/passport/api/", "org/slf4j/");
  // a provider file of the platform or host must never make a plugin find someone else's factory
  private static final String SERVICES_PREFIX = "META-INF/services/";

  private final ClassLoader hostLoader;

  IsolatedPluginClassLoader(String pluginId, List<URL> jars, ClassLoader hostLoader) {
    super("plugin:" + pluginId, jars.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    this.hostLoader = requireNonNull(hostLoader, "hostLoader is null");
  }

  static boolean isHostClass(String className) {
    return HOST_PACKAGES.stream().anyMatch(className::startsWith);
  }

  private static boolean isHostResource(String resourceName) {
    return HOST_RESOURCE_PREFIXES.stream().anyMatch(resourceName::startsWith);
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    if (isHostClass(name)) {
      // even when the plugin bundles its own copy: a second Backend or Logger class breaks casts
      return hostLoader.loadClass(name);
    }
    synchronized (getClassLoadingLock(name)) {
      Class<?> type = findLoadedClass(name);
      if (type == null) {
        try {
          type = getParent().loadClass(name);
        } catch (ClassNotFoundException notInJdk) {
          type = findClass(name);
        }
      }
      if (resolve) {
        resolveClass(type);
      }
      return type;
    }
  }

  @Override
  public URL getResource(String name) {
    if (isHostResource(name)) {
      return hostLoader.getResource(name);
    }
    URL url = findResource(name);
    if (url == null && !name.startsWith(SERVICES_PREFIX)) {
      url = getParent().getResource(name);
    }
    return url;
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    if (isHostResource(name)) {
      return hostLoader.getResources(name);
    }
    if (name.startsWith(SERVICES_PREFIX)) {
      return findResources(name);
    }
    List<URL> urls = new ArrayList<>(Collections.list(findResources(name)));
    urls.addAll(Collections.list(getParent().getResources(name)));
    return Collections.enumeration(urls);
  }
}
