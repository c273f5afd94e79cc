package dev.passport.api;

import static java.util.Objects.requireNonNull;

/**
 * The pod a volume belongs to, as kubelet reports it ({@code csi.storage.k8s.io/pod.*} keys).
 */
public final class Pod {

  private final String namespace;
  private final String name;
  private final String uid;
  private final String serviceAccount;

  private Pod(String namespace, String name, String uid, String serviceAccount) {
    this.namespace = requireNonNull(namespace, "namespace is null");
    this.name = requireNonNull(name, "name is null");
    this.uid = requireNonNull(uid, "uid is null");
    this.serviceAccount = requireNonNull(serviceAccount, "serviceAccount is null");
  }

  /**
   * A pod.
   *
   * @param namespace the pod's namespace
   * @param name the pod's name
   * @param uid the pod's UID
   * @param serviceAccount the name of the pod's service account
   */
  public static Pod of(String namespace, String name, String uid, String serviceAccount) {
    return new Pod(namespace, name, uid, serviceAccount);
  }

  /** The pod's namespace. */
  public String namespace() {
    return namespace;
  }

  /** The pod's name. */
  public String name() {
    return name;
  }

  /** The pod's UID. */
  public String uid() {
    return uid;
  }

  /** The name of the pod's service account. */
  public String serviceAccount() {
    return serviceAccount;
  }

  /** The Kubernetes user name of the pod's service account, e.g. {@code system:serviceaccount:ns:sa}. */
  public String serviceAccountUser() {
    return "system:serviceaccount:" + namespace + ":" + serviceAccount;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pod other && namespace.equals(other.namespace) && name.equals(other.name)
        && uid.equals(other.uid) && serviceAccount.equals(other.serviceAccount);
  }

  @Override
  public int hashCode() {
    return ((namespace.hashCode() * 31 + name.hashCode()) * 31 + uid.hashCode()) * 31
        + serviceAccount.hashCode();
  }

  @Override
  public String toString() {
    return "Pod[namespace=" + namespace + ", name=" + name + ", uid=" + uid + ", serviceAccount="
        + serviceAccount + "]";
  }
}
