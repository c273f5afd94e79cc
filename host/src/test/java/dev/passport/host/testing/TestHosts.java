package dev.passport.host.testing;

import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** The end-to-end tests' host set-up and what they read back from a target. */
public final class TestHosts {

  private TestHosts() {}

  /**
   * A host builder with its socket ({@code csi.sock}) and state dir ({@code state/}) in {@code dir},
   * kubelet's directory {@code kubeletDir} (created) and volumes written as plain directories, as
   * a test without tmpfs mounts needs.
   */
  public static PassportHost.Builder builder(Path dir, Path kubeletDir) throws IOException {
    return PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(Files.createDirectories(kubeletDir));
  }

  /** The files a container sees (name → content), without the writer's timestamped directory. */
  public static Map<String, String> visibleFiles(Path target) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (var entries = Files.list(target)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (!name.startsWith("..")) {
          files.put(name, Files.readString(entry));
        }
      }
    }
    return files;
  }
}
