package dev.passport.host.k8s;

import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the Kubernetes Secrets a SecretProviderClass lists in {@code spec.secretObjects} in step
 * with a volume's files (issue 19 item 4). Plain types only: the host refers to this interface
 * whether or not drop-in mode is on, and it loads no Kubernetes client class.
 */
public interface SecretSync extends AutoCloseable {

  /** Whose identity writes the Secrets. */
  enum Identity {
    /** The pod's own token for the API server (the default; the driver needs no Secret RBAC). */
    POD,
    /** The driver's own service account, as secrets-store-csi-driver does (opt-in). */
    DRIVER
  }

  Identity identity();

  /**
   * The audience of the pod token that writes in {@link Identity#POD} mode: the key of kubelet's
   * tokens JSON ({@code ""} for a {@code tokenRequests} entry with {@code audience: ""}).
   */
  String audience();

  /**
   * Creates or updates each Secret of {@code objects} from {@code files} in the pod's namespace,
   * with the pod as one of its owners. A Secret already synced from the same content by this volume
   * costs no API call unless {@code recheck}.
   *
   * @param recheck read each Secret back even if this volume synced the same content (repairs a
   *     Secret someone edited or deleted)
   */
  void sync(Target target, List<SecretObject> objects, List<MaterialFile> files, boolean recheck)
      throws SecretSyncException;

  /** Forgets what {@code volumeId} synced (its unpublish); the Secrets stay for the GC. */
  void forget(String volumeId);

  @Override
  void close();

  /**
   * Whose Secrets, for which volume.
   *
   * @param volumeId the volume
   * @param secretProviderClass the class's name, for messages
   * @param pod the pod (namespace, name, uid: the owner reference)
   * @param token the pod's token for {@link #audience()}; empty in {@link Identity#DRIVER} mode
   */
  record Target(String volumeId, String secretProviderClass, Pod pod,
      Optional<ServiceAccountToken> token) {

    /** No token in the text: {@link ServiceAccountToken#toString()} redacts, and this names none. */
    @Override
    public String toString() {
      return "SecretSync.Target[" + volumeId + ", " + pod.namespace() + "/" + secretProviderClass
          + ", pod " + pod.name() + "]";
    }
  }
}
