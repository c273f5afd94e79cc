package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/** How the host prepares a volume's target directory. */
public enum MountMode {
  /** A fresh size-limited tmpfs per volume, so secrets never reach a disk. Needs CAP_SYS_ADMIN. */
  TMPFS,
  /** A plain directory, for local runs without privileges; content lands on the node's disk. */
  DIRECTORY;

  /** Parses {@code tmpfs} or {@code directory} (any case), the spelling of the CLI and config. */
  public static MountMode parse(String value) {
    requireNonNull(value, "value is null");
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "tmpfs" -> TMPFS;
      case "directory" -> DIRECTORY;
      default -> throw new IllegalArgumentException(
          "mount mode \"" + value + "\" is unknown; use \"tmpfs\" or \"directory\"");
    };
  }

  /** The spelling {@link #parse} accepts. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
