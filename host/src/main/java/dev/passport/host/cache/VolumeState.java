package dev.passport.host.cache;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * What the host remembers about a published volume, in memory and in {@code --state-dir}. It holds
 * no token and no secret content: hashes, instants and names only.
 *
 * @param volumeId the CSI volume id
 * @param target the target path
 * @param backend the backend name
 * @param podNamespace the pod's namespace (for logs)
 * @param podName the pod's name (for logs)
 * @param podUid the pod's UID
 * @param attributesHash hash of the backend attributes
 * @param tokenExpiries {@code audience=expiry} of the tokens used for the last fetch
 * @param group the group the files were given, or null for none: the backend's
 *     ({@code Material.group()}) or else the pod's fsGroup. State files written before plugin API
 *     1.2 call it {@code fsGroup}, which was the only source then, and are read as the same.
 * @param contentHash hash of the files written
 * @param dataDir the {@code ..data} target written
 * @param version the material's version label, or null
 * @param fetchedAt when the material was fetched
 * @param refreshAt when it is due again
 * @param expiresAt when it stops being valid, or null
 * @param failures consecutive failed refreshes
 * @param nextAttemptAt the end of the backoff window, or null
 * @param lastError the last refresh error message, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record VolumeState(
    String volumeId,
    String target,
    String backend,
    String podNamespace,
    String podName,
    String podUid,
    String attributesHash,
    String tokenExpiries,
    @JsonAlias("fsGroup") Integer group,
    String contentHash,
    String dataDir,
    String version,
    Instant fetchedAt,
    Instant refreshAt,
    Instant expiresAt,
    int failures,
    Instant nextAttemptAt,
    String lastError) {

  /** The cache key this state was fetched under. */
  public CacheKey cacheKey() {
    return new CacheKey(volumeId, podUid, backend, attributesHash, tokenExpiries);
  }

  /** This state after a failed refresh. */
  VolumeState failed(String error, Instant retryAt) {
    return new VolumeState(volumeId, target, backend, podNamespace, podName, podUid, attributesHash,
        tokenExpiries, group, contentHash, dataDir, version, fetchedAt, refreshAt, expiresAt,
        failures + 1, retryAt, error);
  }

  /** This state after the volume was rewritten from the cache into {@code newDataDir}. */
  VolumeState rewritten(String newDataDir) {
    return new VolumeState(volumeId, target, backend, podNamespace, podName, podUid, attributesHash,
        tokenExpiries, group, contentHash, newDataDir, version, fetchedAt, refreshAt, expiresAt,
        failures, nextAttemptAt, lastError);
  }

  /** "namespace/name" for log lines. */
  public String pod() {
    return podNamespace + "/" + podName;
  }
}
