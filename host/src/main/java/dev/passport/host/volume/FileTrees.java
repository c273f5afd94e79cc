package dev.passport.host.volume;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Creating and removing volume targets without ever following a symbolic link. */
final class FileTrees {
  private FileTrees() {}

  /**
   * Deletes {@code root} and everything below it. Symbolic links are removed, never followed (a
   * volume's user-visible names are links, and a tampered one may point anywhere on the node).
   * Refuses to descend into another file system mounted inside the tree: wiping a bind mount of a
   * host directory would destroy data that is not ours. A missing {@code root} is fine.
   */
  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Object rootDevice = Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS) ? device(root) : null;
    // walkFileTree without FOLLOW_LINKS reports a link as a file, so visitFile deletes the link.
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
          throws IOException {
        if (!device(dir).equals(rootDevice)) {
          throw new IOException("cannot remove " + root + ": another file system is mounted at "
              + dir + "; unmount it first");
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

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

  private static Object device(Path dir) throws IOException {
    return Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
  }
}
