package dev.passport.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * The claims of a verified pod token, as a fake backend (Vault jwt/kubernetes auth, STS) would
 * read them.
 *
 * @param subject {@code system:serviceaccount:<namespace>:<serviceaccount>}
 * @param audiences the {@code aud} claim
 * @param issuer the {@code iss} claim
 * @param expiresAt the {@code exp} claim
 * @param namespace {@code kubernetes.io.namespace}
 * @param podName {@code kubernetes.io.pod.name}
 * @param podUid {@code kubernetes.io.pod.uid}
 * @param serviceAccountName {@code kubernetes.io.serviceaccount.name}
 * @param serviceAccountUid {@code kubernetes.io.serviceaccount.uid}
 */
public record TokenClaims(
    String subject,
    List<String> audiences,
    String issuer,
    Instant expiresAt,
    String namespace,
    String podName,
    String podUid,
    String serviceAccountName,
    String serviceAccountUid) {

  /** Checks presence and copies the audience list. */
  public TokenClaims {
    requireNonNull(subject, "subject is null");
    audiences = List.copyOf(requireNonNull(audiences, "audiences is null"));
    requireNonNull(issuer, "issuer is null");
    requireNonNull(expiresAt, "expiresAt is null");
    requireNonNull(namespace, "namespace is null");
    requireNonNull(podName, "podName is null");
    requireNonNull(podUid, "podUid is null");
    requireNonNull(serviceAccountName, "serviceAccountName is null");
    requireNonNull(serviceAccountUid, "serviceAccountUid is null");
  }
}
