package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MountMode#TMPFS}: a size-limited tmpfs per volume, so secrets stay in memory and one volume
 * cannot fill the node. Uses the {@code mount}/{@code umount} commands; mounts are detected from
 * mountinfo rather than remembered, so a restarted host sees what its predecessor mounted.
 */
final class TmpfsMounter implements Mounter {
  private static final Logger log = LoggerFactory.getLogger(TmpfsMounter.class);

  /** kubelet times a NodePublishVolume out after 2 minutes; a mount must never take that long. */
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

  /** Stacked mounts only come from bugs or races; give up after this many instead of looping. */
  private static final int MAX_STACKED_MOUNTS = 8;

  private final String mountCommand;
  private final String umountCommand;
  private final MountTable mounts;

  TmpfsMounter() {
    this("mount", "umount", MountTable.self());
  }

  /** For tests: other executables (a fake that fails) and another mountinfo file. */
  TmpfsMounter(String mountCommand, String umountCommand, MountTable mounts) {
    this.mountCommand = requireNonNull(mountCommand, "mountCommand is null");
    this.umountCommand = requireNonNull(umountCommand, "umountCommand is null");
    this.mounts = requireNonNull(mounts, "mounts is null");
  }

  @Override
  public void mount(Path target, long sizeLimitBytes) throws IOException {
    requireNonNull(target, "target is null");
    if (sizeLimitBytes < 1) {
      throw new IllegalArgumentException(
          "sizeLimitBytes is " + sizeLimitBytes + ", must be at least 1");
    }
    Path absolute = target.toAbsolutePath().normalize();
    boolean created = FileTrees.createDirectoryIfAbsent(absolute);
    if (isMounted(absolute)) {
      return;
    }
    try {
      // nosuid,nodev: a secret volume never needs set-uid programs or device nodes. mode=0755 is
      // kubelet's for a volume root and holds nothing yet; the writer sets the mode the files
      // need (DirectoryModes) on every write, and the data directories guard the content.
      run(mountCommand, "-t", "tmpfs", "-o",
          "size=" + sizeLimitBytes + ",mode=0755,nosuid,nodev", "tmpfs", absolute.toString());
    } catch (IOException | RuntimeException e) {
      if (created) {
        // A failed first publish must leave nothing behind (kubelet contract); rmdir removes only
        // the empty directory just made, never what may have appeared in it.
        try {
          Fs.removeDirectory(absolute);
        } catch (IOException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      throw e;
    }
  }

  @Override
  public void unmountAndRemove(Path target) throws IOException {
    Path absolute = requireNonNull(target, "target is null").toAbsolutePath().normalize();
    for (int i = 0; isMounted(absolute); i++) {
      if (i == MAX_STACKED_MOUNTS) {
        throw new IOException(absolute + " is still mounted after " + i + " unmounts; check"
            + " /proc/self/mountinfo and unmount it by hand");
      }
      run(umountCommand, absolute.toString());
    }
    new AtomicWriter(absolute).removeOwnEntriesAndTarget();
  }

  @Override
  public boolean isMounted(Path target) throws IOException {
    return mounts.find(requireNonNull(target, "target is null")).isPresent();
  }

  private static void run(String... command) throws IOException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot run " + String.join(" ", command) + ": " + e.getMessage()
          + " (tmpfs mode needs the mount command and root; use --mount-mode directory to run"
          + " without them)", e);
    }
    process.getOutputStream().close();
    // Read the output on its own thread: a command that hangs must not hang us past the timeout.
    FutureTask<String> output = new FutureTask<>(
        () -> new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
    Thread reader = new Thread(output, "passport-" + Path.of(command[0]).getFileName() + "-output");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within "
            + COMMAND_TIMEOUT.toSeconds() + " s");
      }
      String text = output.get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (process.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed with exit code "
            + process.exitValue() + ": " + (text.isEmpty() ? "(no output)" : text));
      }
      log.debug("ran {}", List.of(command));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running " + String.join(" ", command));
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("cannot read the output of " + String.join(" ", command), e);
    }
  }
}
