package dev.passport.host.volume;

import dev.passport.api.MaterialFile;
import java.util.Collection;

/**
 * The modes of a volume's directories, derived from the modes of the files they hold, as kubelet's
 * secret volumes behave: each class (group, others) that may read or run some file may read and
 * traverse the directories on its way ({@code r-x}); a class that may use no file gets nothing.
 * Nobody but the owner may add or remove entries: data directories are read-only even for the
 * owner (the writer makes a fresh one per write), and the target keeps the owner's {@code rwx} so
 * the writer can swap {@code ..data}.
 *
 * <p>{@code 0644} files give {@code 0555} data directories and a {@code 0755} target; {@code 0440}
 * files {@code 0550} and {@code 0750}; a {@code 0400} key alone {@code 0500} and {@code 0700}.
 * A directory inside the data directory follows only the files beneath it. Applied alike in tmpfs
 * and directory mode. A directory's mode never grants a file's content: the
 * file's own mode still decides, so a {@code 0600} key next to a {@code 0644} certificate stays
 * the owner's.
 */
final class DirectoryModes {

  /** The owner (the host) always reads and traverses: it verifies and reads back the volume. */
  private static final int OWNER_READ_TRAVERSE = 0500;
  /** The owner may also add and remove entries of the target: the swap of {@code ..data}. */
  private static final int OWNER_ALL = 0700;

  private DirectoryModes() {}

  /**
   * The mode of a directory of the data directory: {@code relativePath} is {@code ""} for the data
   * directory itself (which holds every file), else e.g. {@code db} (which holds {@code db/...}).
   */
  static int dataDirectory(String relativePath, Collection<MaterialFile> files) {
    if (relativePath.isEmpty()) {
      return OWNER_READ_TRAVERSE | groupAndOthers(files);
    }
    String prefix = relativePath + "/";
    return OWNER_READ_TRAVERSE
        | groupAndOthers(files.stream().filter(f -> f.path().startsWith(prefix)).toList());
  }

  /** The mode of the volume's target (the tmpfs root, or the directory kubelet named). */
  static int target(Collection<MaterialFile> files) {
    return OWNER_ALL | groupAndOthers(files);
  }

  /** {@code r-x} for the group and for others where some file grants that class read or execute. */
  private static int groupAndOthers(Collection<MaterialFile> files) {
    int mode = 0;
    for (MaterialFile file : files) {
      int bits = file.mode();
      if ((bits & 0050) != 0) {
        mode |= 0050;
      }
      if ((bits & 0005) != 0) {
        mode |= 0005;
      }
    }
    return mode;
  }
}
