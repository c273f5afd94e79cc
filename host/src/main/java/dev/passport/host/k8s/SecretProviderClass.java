package dev.passport.host.k8s;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * What Passport reads of a {@code secrets-store.csi.x-k8s.io} SecretProviderClass: its identity,
 * {@code spec.provider} and {@code spec.parameters}. Written by the pod's namespace (hostile):
 * {@link InformedSecretProviderClasses} bounds it before it gets here.
 *
 * @param namespace the namespace
 * @param name the name
 * @param provider {@code spec.provider}
 * @param parameters {@code spec.parameters}, values as written
 * @param secretObjects {@code spec.secretObjects}: the Secrets to keep in step with the volume
 */
public record SecretProviderClass(String namespace, String name, String provider,
    Map<String, String> parameters, List<SecretObject> secretObjects) {

  public SecretProviderClass {
    requireNonNull(namespace, "namespace is null");
    requireNonNull(name, "name is null");
    requireNonNull(provider, "provider is null");
    parameters = Map.copyOf(parameters);
    secretObjects = List.copyOf(secretObjects);
  }

  /** Names and the provider only: parameter values may hold anything the namespace wrote. */
  @Override
  public String toString() {
    return "SecretProviderClass[" + namespace + "/" + name + ", provider=" + provider
        + ", parameters=" + parameters.keySet() + ", secretObjects=" + secretObjects.stream().map(SecretObject::secretName).toList() + "]";
  }
}
