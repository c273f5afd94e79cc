package dev.passport.api;

import java.util.Map;

/**
 * A source of volume material: Vault, a cloud secret manager, a certificate issuer.
 *
 * <p>One instance serves every volume of its backend name, concurrently. The host calls it with
 * the thread context class loader set to the plugin's class loader.
 *
 * @param <V> the backend's own prepared-volume type
 */
public interface Backend<V extends PreparedVolume> extends AutoCloseable {

  /**
   * Parses and validates a volume's attributes. The host calls it once per distinct attribute set
   * (not on every republish) and hands the result to every {@link #fetch} of such a volume.
   *
   * @param attributes the volume attributes meant for this backend (the {@code backend} key and
   *     kubelet's {@code csi.storage.k8s.io/*} keys removed)
   * @return the parsed volume, carrying the token audiences it needs
   * @throws BackendException of kind {@link BackendException.Kind#INVALID_ARGUMENT} naming the
   *     offending attribute and what to write instead
   */
  V prepare(Map<String, String> attributes) throws BackendException;

  /**
   * Fetches the material for one volume, authenticating as the pod with its tokens.
   *
   * <p>Must return all files or throw: the host never writes partial material. Must respect
   * {@link FetchRequest#deadline()}. Must never put a token into an exception message or a log.
   *
   * @param volume what {@link #prepare} returned for this volume's attributes
   * @param request the pod, its tokens for {@link PreparedVolume#audiences()}, the deadline
   * @throws BackendException with the kind that tells the host which gRPC code to answer
   */
  Material fetch(V volume, FetchRequest request) throws BackendException;

  /**
   * Called once when a volume is unpublished, after its files are gone, e.g. to revoke leases.
   * Tokens are not available here (kubelet sends none on unpublish). Failures are logged by the
   * host and do not fail the unpublish.
   *
   * @param volumeId the volume that was unpublished
   */
  default void release(String volumeId) throws BackendException {}

  /** Releases clients, threads and connections. Called once, after the server has drained. */
  @Override
  void close();
}
