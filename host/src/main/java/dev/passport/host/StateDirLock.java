package dev.passport.host;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * An exclusive lock on the state dir, held for the host's lifetime: two hosts writing one state
 * dir would each prune the other's volume states. The kernel releases it when the process dies,
 * so a killed host never leaves it stale; the lock file itself stays (deleting it would let a
 * third host lock a new file while a second still holds the old one).
 */
final class StateDirLock implements AutoCloseable {

  /** Not {@code *.json}: the state store reads only those. */
  static final String FILE_NAME = "passport.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private StateDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Locks {@code stateDir} (creating it), or refuses naming the directory. */
  static StateDirLock acquire(Path stateDir) throws IOException {
    StartupDirectories.create(stateDir, "state dir", "--state-dir");
    Path file = stateDir.resolve(FILE_NAME);
    FileChannel channel;
    try {
      channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (IOException e) {
      // A read-only mount, or a lock "file" that is a directory or a symlink.
      throw StartupDirectories.unusable(stateDir, "state dir", "--state-dir", e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      // Another host in this JVM holds it (tests, the demo).
      lock = null;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new HostStartException("state dir " + stateDir + " is locked by another Passport"
          + " host (" + file + "); refusing to start a second host on it (stop that one first, or"
          + " choose another --state-dir)");
    }
    return new StateDirLock(channel, lock);
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // Closing the channel releases the lock in any case.
    }
  }
}
