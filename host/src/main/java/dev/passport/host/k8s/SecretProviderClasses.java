package dev.passport.host.k8s;

import java.util.Optional;

/**
 * The SecretProviderClasses of the cluster as the driver last saw them. Implementations answer
 * from memory (an informer's cache): a publish or republish costs no Kubernetes API call.
 *
 * <p>This interface and {@link SecretProviderClass} load no Kubernetes client class: the host
 * refers to them whether or not drop-in mode is on.
 */
public interface SecretProviderClasses extends AutoCloseable {

  /**
   * The SecretProviderClass {@code namespace/name}, empty when there is none.
   *
   * @throws SecretProviderClassException when the cache is not ready yet (retryable) or the object
   *     breaks a bound or the CRD's shape
   */
  Optional<SecretProviderClass> find(String namespace, String name)
      throws SecretProviderClassException;

  /** Where the classes come from, for the log. */
  String describe();

  @Override
  void close();
}
