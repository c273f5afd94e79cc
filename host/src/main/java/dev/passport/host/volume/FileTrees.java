package dev.passport.host.volume;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Creating volume targets without following a symbolic link; removal is {@link AtomicWriter#removeOwnEntriesAndTarget}. */
final class FileTrees {
  private FileTrees() {}

  /**
   * Creates {@code target} unless it is already a directory; returns whether it was created. A
   * symbolic link is refused: following it would put the volume somewhere kubelet did not choose.
   */
  static boolean createDirectoryIfAbsent(Path target) throws IOException {
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw notADirectory(target);
    }
    try {
      Files.createDirectory(target);
      return true;
    } catch (FileAlreadyExistsException e) {
      // Lost a race with another creator; fine if what it created is a directory.
      if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      throw notADirectory(target);
    }
  }

  private static IOException notADirectory(Path target) {
    return new IOException("target path " + target
        + " exists but is not a directory (a file or a symbolic link); remove it and retry");
  }

}
