package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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

  private Material(List<MaterialFile> files, Optional<Instant> refreshAt,
      Optional<Instant> expiresAt, Optional<String> version) {
    this.files = List.copyOf(requireNonNull(files, "files is null"));
    this.refreshAt = refreshAt;
    this.expiresAt = expiresAt;
    this.version = version;
  }

  /**
   * Material with these files, refreshed at the host's default interval.
   *
   * @param files the complete set of files of the volume (the volume will hold exactly these)
   */
  public static Material of(List<MaterialFile> files) {
    return new Material(files, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** A copy that is refreshed at {@code instant}. */
  public Material withRefreshAt(Instant instant) {
    return new Material(files, Optional.of(requireNonNull(instant, "instant is null")), expiresAt,
        version);
  }

  /** A copy that expires at {@code instant}. */
  public Material withExpiresAt(Instant instant) {
    return new Material(files, refreshAt, Optional.of(requireNonNull(instant, "instant is null")),
        version);
  }

  /** A copy labelled with {@code label}. */
  public Material withVersion(String label) {
    return new Material(files, refreshAt, expiresAt,
        Optional.of(requireNonNull(label, "label is null")));
  }

  /** The complete set of files of the volume. */
  public List<MaterialFile> files() {
    return files;
  }

  /**
   * When to fetch again; empty means the host's default refresh interval. The host adds jitter.
   * Certificates and leases should use about 2/3 of their lifetime.
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
        && version.equals(other.version);
  }

  @Override
  public int hashCode() {
    return Objects.hash(files, refreshAt, expiresAt, version);
  }

  @Override
  public String toString() {
    return "Material[files=" + files + ", refreshAt=" + refreshAt + ", expiresAt=" + expiresAt
        + ", version=" + version + "]";
  }
}
