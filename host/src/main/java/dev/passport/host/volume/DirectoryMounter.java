package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * {@link MountMode#DIRECTORY}: a plain directory, no mount and no size limit. The directory's mode
 * is whatever the umask gives; the writer sets the one the files need on every write, as in tmpfs
 * mode.
 */
final class DirectoryMounter implements Mounter {

  @Override
  public void mount(Path target, long sizeLimitBytes) throws IOException {
    FileTrees.createDirectoryIfAbsent(requireNonNull(target, "target is null"));
  }

  @Override
  public void unmountAndRemove(Path target) throws IOException {
    new AtomicWriter(requireNonNull(target, "target is null")).removeOwnEntriesAndTarget();
  }

  @Override
  public boolean isMounted(Path target) {
    return Files.isDirectory(requireNonNull(target, "target is null"), LinkOption.NOFOLLOW_LINKS);
  }
}
