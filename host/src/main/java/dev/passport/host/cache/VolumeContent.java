package dev.passport.host.cache;

/** What the refresh rule knows about the files in a volume's target. */
public enum VolumeContent {
  /** No published content (a new volume, or its {@code ..data} is gone). */
  ABSENT,
  /** Published content, not yet checked against the state. */
  PRESENT,
  /** Published content, proven to be what the state says was written. */
  INTACT,
  /** Published content that is not what was written (modified, or unreadable as ours). */
  DAMAGED
}
