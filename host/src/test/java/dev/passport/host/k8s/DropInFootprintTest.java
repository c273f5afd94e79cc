package dev.passport.host.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Footprint (issue 19): with drop-in mode off, a host starts and serves without loading one
 * fabric8 class. The host runs in a class loader of its own (the test's class path, the platform
 * loader as parent), so that loader's record of what it defined is exactly the host's.
 */
class DropInFootprintTest {

  @TempDir Path dir;

  @Test
  void hostWithoutDropIn_loadsNoKubernetesClientClass() throws Exception {
    try (RecordingLoader loader = new RecordingLoader(classPath())) {
      Class<?> hostClass = loader.loadClass("dev.passport.host.PassportHost");
      Class<?> modes = loader.loadClass("dev.passport.host.volume.MountMode");
      Object builder = hostClass.getMethod("builder").invoke(null);
      Class<?> builderClass = builder.getClass();
      builderClass.getMethod("socket", Path.class).invoke(builder, dir.resolve("csi.sock"));
      builderClass.getMethod("stateDir", Path.class).invoke(builder, dir.resolve("state"));
      builderClass.getMethod("kubeletDir", Path.class)
          .invoke(builder, Files.createDirectories(dir.resolve("kubelet")));
      builderClass.getMethod("mountMode", modes)
          .invoke(builder, modes.getMethod("valueOf", String.class).invoke(null, "DIRECTORY"));
      AutoCloseable host = (AutoCloseable) builderClass.getMethod("start").invoke(builder);
      host.close();

      assertThat(loader.defined("dev.passport.host.publish.SecretProviderClassResolver")).isTrue();
      assertThat(loader.definedWithPrefix("io.fabric8.")).isEmpty();
      assertThat(loader.defined(InformedSecretProviderClasses.class.getName())).isFalse();
    }
  }

  private static URL[] classPath() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      urls.add(Path.of(entry).toUri().toURL());
    }
    return urls.toArray(URL[]::new);
  }

  /** Defines every class itself (parent: the platform loader) and remembers which. */
  private static final class RecordingLoader extends URLClassLoader {
    private final List<String> names = new java.util.concurrent.CopyOnWriteArrayList<>();

    RecordingLoader(URL[] urls) {
      super("footprint", urls, ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      Class<?> found = super.findClass(name);
      names.add(name);
      return found;
    }

    boolean defined(String name) {
      return names.contains(name);
    }

    List<String> definedWithPrefix(String prefix) {
      return names.stream().filter(n -> n.startsWith(prefix)).toList();
    }
  }
}
