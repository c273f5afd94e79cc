package dev.passport.api;

import java.util.Map;
import java.util.Set;

/**
 * A source of volume material: Vault, a cloud secret manager, a certificate issuer.
 *
 * <p>One instance serves every volume of its backend name, concurrently. The host calls it with
 * the thread context class loader set to the plugin's class loader.
 */
public interface Backend extends AutoCloseable {

  /**
   * The token audiences a volume with these attributes needs, e.g. {@code vault}. The host refuses
   * the volume, naming the audience and the CSIDriver {@code tokenRequests} fix, when kubelet did
   * not send a token for one of them.
   *
   * <p>This is also where a backend validates its attributes: the host calls it before
   * {@link #fetch}, and only once per distinct attribute set.
   *
   * @param attributes the volume attributes meant for this backend (the {@code backend} key and
   *     kubelet's {@code csi.storage.k8s.io/*} keys removed)
   * @throws BackendException of kind {@link BackendException.Kind#INVALID_ARGUMENT} naming the
   *     offending attribute
   */
  Set<String> requiredAudiences(Map<String, String> attributes) throws BackendException;

  /**
   * Fetches the material for one volume, authenticating as the pod with its tokens.
   *
   * <p>Must return all files or throw: the host never writes partial material. Must respect
   * {@link FetchRequest#deadline()}. Must never put a token into an exception message or a log.
   *
   * @throws BackendException with the kind that tells the host which gRPC code to answer
   */
  Material fetch(FetchRequest request) throws BackendException;

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
