package dev.passport.host.cli;

import dev.passport.host.PassportHost;
import dev.passport.host.csi.WarmupCalls;
import dev.passport.host.plugins.PluginLoadException;
import dev.passport.host.volume.MountMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A training run for the AppCDS archive: starts a host with every plugin on a temporary socket,
 * answers the calls kubelet and the registrar make at startup, and exits. Run with
 * {@code -XX:ArchiveClassesAtExit} (bin/passport does, with PASSPORT_CDS_DUMP=1), the classes it
 * touched are archived and later starts map them instead of loading them.
 */
@Command(name = "warmup", hidden = true,
    description = "Start and stop a host once (used to build the AppCDS archive).")
final class WarmupCommand implements Callable<Integer> {

  @Option(names = "--plugins-dir", required = true, description = "Plugin directories to load.")
  Path pluginsDir;

  @Option(names = "--config-dir", description = "Directory of <plugin-id>.properties files.")
  Path configDir;

  @Override
  public Integer call() throws IOException, PluginLoadException {
    Path work = Files.createTempDirectory("passport-warmup");
    try (PassportHost host = PassportHost.builder()
        .socket(work.resolve("csi.sock"))
        .stateDir(work.resolve("state"))
        .pluginsDir(pluginsDir)
        .configDir(configDir)
        .mountMode(MountMode.DIRECTORY)
        .nodeId("warmup")
        .start()) {
      WarmupCalls.exercise(host.socket(), work);
    } finally {
      deleteTree(work);
    }
    return 0;
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
