package dev.passport.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

/**
 * Temp dirs on tmpfs ({@code /dev/shm}) where there is one. Volumes live on a tmpfs in production
 * too, and there fsync costs nothing: the storm suites then measure the host's locking and
 * bookkeeping instead of the CI disk, and stay well inside CI's time.
 */
public final class MemoryTempDirFactory implements TempDirFactory {

  private static final Path SHM = Path.of("/dev/shm");

  @Override
  public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext context)
      throws IOException {
    if (Files.isDirectory(SHM) && Files.isWritable(SHM)) {
      return Files.createTempDirectory(SHM, "passport-bench-");
    }
    return Files.createTempDirectory("passport-bench-");
  }
}
