package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
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
 *
 * @param files the complete set of files of the volume (the volume will hold exactly these)
 * @param refreshAt when to fetch again; empty means the host's default refresh interval. The host
 *     adds ±10 % jitter. Certificates and leases should use about 2/3 of their lifetime.
 * @param expiresAt when the content stops being valid; the host warns when it cannot refresh
 *     material past this instant
 * @param version an opaque version label for logs and state (a KV version, a resolved secret
 *     version name); never a secret
 */
public record Material(
    List<MaterialFile> files,
    Optional<Instant> refreshAt,
    Optional<Instant> expiresAt,
    Optional<String> version) {

  /** Checks presence and copies the file list. */
  public Material {
    files = List.copyOf(requireNonNull(files, "files is null"));
    requireNonNull(refreshAt, "refreshAt is null");
    requireNonNull(expiresAt, "expiresAt is null");
    requireNonNull(version, "version is null");
  }

  /** Material with these files, refreshed at the host's default interval. */
  public static Material of(List<MaterialFile> files) {
    return new Material(files, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** A copy that is refreshed at {@code instant}. */
  public Material withRefreshAt(Instant instant) {
    return new Material(files, Optional.of(instant), expiresAt, version);
  }

  /** A copy that expires at {@code instant}. */
  public Material withExpiresAt(Instant instant) {
    return new Material(files, refreshAt, Optional.of(instant), version);
  }

  /** A copy labelled with {@code label}. */
  public Material withVersion(String label) {
    return new Material(files, refreshAt, expiresAt, Optional.of(label));
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
}
