package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a backend returns for a volume: its files, and when the host should fetch again.
 *
 * <p>Build it with {@link #of(List)} and the {@code with…} methods:
 *
 * <pre>{@code
 * Material.of(List.of(MaterialFile.of("password", bytes)))
 *     .withRefreshAt(leaseStart.plus(lease.multipliedBy(2).dividedBy(3)))
 *     .withExpiresAt(leaseStart.plus(lease))
 *     .withVersion(leaseId);
 * }</pre>
 */
public final class Material {

  private final List<MaterialFile> files;
  private final Optional<Instant> refreshAt;
  private final Optional<Instant> expiresAt;
  private final Optional<String> version;
  private final OptionalInt group;

  private Material(List<MaterialFile> files, Optional<Instant> refreshAt,
      Optional<Instant> expiresAt, Optional<String> version, OptionalInt group) {
    this.files = List.copyOf(requireNonNull(files, "files is null"));
    this.refreshAt = refreshAt;
    this.expiresAt = expiresAt;
    this.version = version;
    this.group = group;
  }

  /**
   * Material with these files, refreshed at the host's default interval.
   *
   * @param files the complete set of files of the volume (the volume will hold exactly these)
   */
  public static Material of(List<MaterialFile> files) {
    return new Material(files, Optional.empty(), Optional.empty(), Optional.empty(),
        OptionalInt.empty());
  }

  /**
   * A copy with other files and everything else the same: for code that transforms files (the
   * host's default modes, a template step) and must not lose a field a later version adds.
   */
  public Material withFiles(List<MaterialFile> files) {
    return new Material(files, refreshAt, expiresAt, version, group);
  }

  /** A copy that is refreshed at {@code instant}. */
  public Material withRefreshAt(Instant instant) {
    return new Material(files, Optional.of(requireNonNull(instant, "instant is null")), expiresAt,
        version, group);
  }

  /** A copy that expires at {@code instant}. */
  public Material withExpiresAt(Instant instant) {
    return new Material(files, refreshAt, Optional.of(requireNonNull(instant, "instant is null")),
        version, group);
  }

  /** A copy labelled with {@code label}. */
  public Material withVersion(String label) {
    return new Material(files, refreshAt, expiresAt,
        Optional.of(requireNonNull(label, "label is null")), group);
  }

  /**
   * A copy whose files and directories the host makes owned by group {@code gid} instead of the
   * pod's {@code fsGroup}: cert-manager csi-driver's {@code csi.cert-manager.io/fs-group}. A backend
   * that takes the group from a volume attribute decides the precedence between the two (csi-lib:
   * the attribute wins); without this the host uses the pod's {@code fsGroup}, if any.
   *
   * @param gid a group id, at least 1 (group 0 is root's, which every file already has)
   */
  public Material withGroup(int gid) {
    if (gid < 1) {
      throw new IllegalArgumentException("group " + gid + " must be at least 1");
    }
    return new Material(files, refreshAt, expiresAt, version, OptionalInt.of(gid));
  }

  /** The complete set of files of the volume. */
  public List<MaterialFile> files() {
    return files;
  }

  /**
   * When to fetch again; empty means the host's default refresh interval. The host never fetches
   * later than this: its jitter only moves the refresh earlier, within the last tenth of the
   * interval, and it refreshes on the last republish before the instant rather than the first
   * after it. Certificates and leases should use about 2/3 of their lifetime, or the
   * renew-before their users configured.
   */
  public Optional<Instant> refreshAt() {
    return refreshAt;
  }

  /** When the content stops being valid; the host warns when it cannot refresh past it. */
  public Optional<Instant> expiresAt() {
    return expiresAt;
  }

  /**
   * An opaque version label for logs and state (a KV version, a resolved secret version name);
   * never a secret.
   */
  public Optional<String> version() {
    return version;
  }

  /**
   * The group the backend asked for ({@link #withGroup}); empty means the pod's {@code fsGroup} if
   * it set one, else root's group.
   */
  public OptionalInt group() {
    return group;
  }

  /** The file at {@code path}, if present. */
  public Optional<MaterialFile> file(String path) {
    return files.stream().filter(f -> f.path().equals(path)).findFirst();
  }

  /** The total size of all files in bytes. */
  public long size() {
    long total = 0;
    for (MaterialFile file : files) {
      total += file.size();
    }
    return total;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Material other && files.equals(other.files)
        && refreshAt.equals(other.refreshAt) && expiresAt.equals(other.expiresAt)
        && version.equals(other.version) && group.equals(other.group);
  }

  @Override
  public int hashCode() {
    return Objects.hash(files, refreshAt, expiresAt, version, group);
  }

  @Override
  public String toString() {
    return "Material[files=" + files + ", refreshAt=" + refreshAt + ", expiresAt=" + expiresAt
        + ", version=" + version + ", group=" + group + "]";
  }
}
