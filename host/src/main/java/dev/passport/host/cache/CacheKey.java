package dev.passport.host.cache;

/**
 * Identifies fetched material: the same volume, pod, backend, attributes and token expiries give
 * the same material until it is due.
 *
 * @param volumeId the CSI volume id
 * @param podUid the pod's UID
 * @param backend the backend name
 * @param attributesHash a hash of the backend's attributes
 * @param tokenExpiries {@code audience=expiry} of the tokens the backend uses
 */
public record CacheKey(
    String volumeId, String podUid, String backend, String attributesHash, String tokenExpiries) {}
