package dev.passport.host.publish;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.host.cache.CacheKey;
import dev.passport.host.template.VolumeTemplates;
import dev.passport.host.volume.FieldHash;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * A validated publish request: which volume, whose, from which backend, with which tokens.
 *
 * @param volumeId the CSI volume id
 * @param target the target path
 * @param pod the pod
 * @param backend the backend name
 * @param attributes the attributes for the backend
 * @param tokens the tokens kubelet sent; only those for {@code audiences} are kept
 * @param audiences the audiences the backend needs for these attributes
 * @param fsGroup the pod's fsGroup, if any
 * @param nodePublishSecrets the volume's nodePublishSecretRef secrets for the backend (issue 19)
 * @param templates the files the host renders from the backend's (issue 23); part of the cache key
 */
record VolumeSpec(
    String volumeId,
    Path target,
    Pod pod,
    String backend,
    Map<String, String> attributes,
    Map<String, ServiceAccountToken> tokens,
    Set<String> audiences,
    OptionalInt fsGroup,
    NodePublishSecrets nodePublishSecrets,
    VolumeTemplates templates) {

  VolumeSpec {
    requireNonNull(volumeId, "volumeId is null");
    requireNonNull(target, "target is null");
    requireNonNull(pod, "pod is null");
    requireNonNull(backend, "backend is null");
    attributes = Map.copyOf(attributes);
    audiences = Set.copyOf(audiences);
    tokens = declaredOnly(tokens, audiences);
    requireNonNull(fsGroup, "fsGroup is null");
    requireNonNull(nodePublishSecrets, "nodePublishSecrets is null");
    requireNonNull(templates, "templates is null");
  }

  /**
   * Least privilege (issue 13): the backend receives only the tokens for the audiences its
   * prepared volume declared, never the others kubelet sent (an API-server audience token, another
   * plugin's).
   */
  private static Map<String, ServiceAccountToken> declaredOnly(
      Map<String, ServiceAccountToken> tokens, Set<String> audiences) {
    Map<String, ServiceAccountToken> declared = new TreeMap<>();
    for (String audience : audiences) {
      ServiceAccountToken token = tokens.get(audience);
      if (token != null) {
        declared.put(audience, token);
      }
    }
    return Map.copyOf(declared);
  }

  /**
   * The cache key: a rotated token (a new expiry for an audience the backend uses) is a new key,
   * so the next republish authenticates again.
   */
  CacheKey cacheKey() {
    return new CacheKey(volumeId, pod.uid(), backend, keyedAttributesHash(), tokenExpiries());
  }

  /** {@code aud=expiry} of the tokens the backend uses, sorted by audience. */
  String tokenExpiries() {
    StringBuilder out = new StringBuilder();
    for (String audience : tokensUsed().keySet()) {
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(audience).append('=').append(tokens.get(audience).expiresAt());
    }
    return out.toString();
  }

  private Map<String, ServiceAccountToken> tokensUsed() {
    Map<String, ServiceAccountToken> used = new TreeMap<>();
    for (String audience : audiences) {
      ServiceAccountToken token = tokens.get(audience);
      if (token != null) {
        used.put(audience, token);
      }
    }
    return used;
  }

  /**
   * The attributes' hash, with the templates' fingerprint when there are templates: a changed
   * template (a SecretProviderClass edited) is a changed volume, rendered anew; an untemplated
   * volume keeps the key it always had, so its recorded state still matches after an upgrade.
   */
  private String keyedAttributesHash() {
    if (templates.isEmpty()) {
      return attributesHash(attributes);
    }
    Map<String, String> keyed = new TreeMap<>(attributes);
    // NUL never occurs in a key kubelet or a class sends, so this cannot collide with an attribute
    keyed.put("\0templates", templates.fingerprint());
    return attributesHash(keyed);
  }

  /**
   * Hashes of attributes seen lately (issue 22): every republish of a volume sends the same
   * attributes, and a SHA-256 over them (with its sorted copy and byte arrays) was a tenth of a
   * warm republish. A pure function's memo, bounded: attributes of at most MAX_MEMO_CHARS
   * characters (longer ones are hashed every time), emptied when it holds MAX_MEMO (≤ 4 MiB).
   */
  private static final int MAX_MEMO = 1024;
  private static final int MAX_MEMO_CHARS = 4096;
  private static final Map<Map<String, String>, String> HASHES =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** A stable SHA-256 over the sorted attributes; attribute values never leave the process. */
  static String attributesHash(Map<String, String> attributes) {
    String known = HASHES.get(attributes);
    if (known != null) {
      return known;
    }
    String hash = sha256(attributes);
    int chars = 0;
    for (Map.Entry<String, String> e : attributes.entrySet()) {
      chars += e.getKey().length() + e.getValue().length();
    }
    if (chars > MAX_MEMO_CHARS) {
      return hash;
    }
    if (HASHES.size() >= MAX_MEMO) {
      HASHES.clear();
    }
    HASHES.put(Map.copyOf(attributes), hash);
    return hash;
  }

  /** How many hashes the memo holds now: its bound is what a test proves. */
  static int memoSize() {
    return HASHES.size();
  }

  private static String sha256(Map<String, String> attributes) {
    FieldHash hash = FieldHash.sha256();
    new TreeMap<>(attributes).forEach((key, value) -> hash.field(key).field(value));
    return hash.hex16();
  }
}
