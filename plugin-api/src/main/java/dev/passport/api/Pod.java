package dev.passport.api;

import static java.util.Objects.requireNonNull;

/**
 * The pod a volume belongs to, as kubelet reports it ({@code csi.storage.k8s.io/pod.*} keys).
 *
 * @param namespace the pod's namespace
 * @param name the pod's name
 * @param uid the pod's UID
 * @param serviceAccount the name of the pod's service account
 */
public record Pod(String namespace, String name, String uid, String serviceAccount) {

  /** Checks that every field is present. */
  public Pod {
    requireNonNull(namespace, "namespace is null");
    requireNonNull(name, "name is null");
    requireNonNull(uid, "uid is null");
    requireNonNull(serviceAccount, "serviceAccount is null");
  }

  /** The Kubernetes user name of the pod's service account, e.g. {@code system:serviceaccount:ns:sa}. */
  public String serviceAccountUser() {
    return "system:serviceaccount:" + namespace + ":" + serviceAccount;
  }
}
