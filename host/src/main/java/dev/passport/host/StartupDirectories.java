package dev.passport.host;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The directories the host creates at startup (the state dir, the socket's parent): one that
 * cannot be made or used is a deployment mistake, so it becomes a {@link HostStartException} whose
 * one line names the path, the flag and the fix, instead of a raw {@code FileAlreadyExistsException}.
 */
final class StartupDirectories {

  private StartupDirectories() {}

  /**
   * Creates {@code dir} (and its parents) unless it exists as a directory.
   *
   * @param what how the operator knows it, e.g. "state dir"
   * @param flag the flag that chose it, e.g. "--state-dir"
   */
  static Path create(Path dir, String what, String flag) throws HostStartException {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw unusable(dir, what, flag, e);
    }
  }

  /** The refusal for {@code dir}, naming the cause of {@code e} in words. */
  static HostStartException unusable(Path dir, String what, String flag, IOException e) {
    return new HostStartException(what + " " + dir + " is not usable: " + reason(e) + "; fix " + flag
        + " (it must name a writable directory)", e);
  }

  private static String reason(IOException e) {
    String file = e instanceof FileSystemException f && f.getFile() != null ? f.getFile() : null;
    if (e instanceof FileAlreadyExistsException) {
      return file + " exists and is not a directory";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied on " + file;
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return (file == null ? "" : file + ": ") + f.getReason();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
