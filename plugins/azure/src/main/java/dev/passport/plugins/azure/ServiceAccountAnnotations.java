package dev.passport.plugins.azure;

import dev.passport.api.BackendException;
import dev.passport.support.KubernetesAccess;
import dev.passport.support.ServiceAccountReader;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Workload identity's client id from the pod's Kubernetes service account annotation
 * {@code azure.workload.identity/client-id}, for volumes without {@code clientID}: read as the
 * driver by plugin-support's {@link ServiceAccountReader} ({@code get serviceaccounts}, nothing
 * else), cached per service account for {@code annotationCacheTtl}. Off unless
 * {@code serviceAccountAnnotations=true}. The namespace owner controls the annotation as it
 * controls {@code clientID}: Entra decides (the identity's federated credential must name the
 * pod's service account).
 */
final class ServiceAccountAnnotations {

  static final String CLIENT_ID = "azure.workload.identity/client-id";
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  static final String GRANT = "grant it get on serviceaccounts, or set clientID in the volume, or"
      + " serviceAccountAnnotations=false";

  private final ServiceAccountReader reader;

  ServiceAccountAnnotations(KubernetesAccess access, Clock clock) {
    this.reader = new ServiceAccountReader(access, Set.of(CLIENT_ID), GRANT, clock);
  }

  /** The annotation's client id of service account {@code namespace/name}, if it has one. */
  Optional<String> clientId(String namespace, String name) throws BackendException {
    // a service account that does not exist has no annotation: the caller asks for clientID
    return reader.annotations(namespace, name, REQUEST_TIMEOUT)
        .map(annotations -> annotations.getOrDefault(CLIENT_ID, "").strip())
        .filter(clientId -> !clientId.isEmpty());
  }
}
