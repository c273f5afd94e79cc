package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;

/** Prepares and removes the target directory kubelet gives a volume. */
public interface Mounter {

  /** The mounter for {@code mode}. */
  static Mounter forMode(MountMode mode) {
    return switch (requireNonNull(mode, "mode is null")) {
      case TMPFS -> new TmpfsMounter();
      case DIRECTORY -> new DirectoryMounter();
    };
  }

  /**
   * Creates {@code target} (its parent exists) and mounts a fresh tmpfs of at most
   * {@code sizeLimitBytes} there ({@link MountMode#TMPFS}), or only creates the directory
   * ({@link MountMode#DIRECTORY}). Idempotent: an already mounted or existing target is left as it is.
   */
  void mount(Path target, long sizeLimitBytes) throws IOException;

  /**
   * Unmounts {@code target} if it is mounted, then removes what Passport wrote there and the target
   * itself if that leaves it empty; anything else is left in place and logged (issue 14).
   * Idempotent: a missing target is fine. Never follows a symbolic link.
   */
  void unmountAndRemove(Path target) throws IOException;

  /** Whether {@code target} is ready for writing: mounted (tmpfs) or an existing directory. */
  boolean isMounted(Path target) throws IOException;
}
