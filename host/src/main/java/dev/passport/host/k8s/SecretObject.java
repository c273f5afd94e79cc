package dev.passport.host.k8s;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * One entry of a SecretProviderClass's {@code spec.secretObjects}: a Kubernetes Secret to keep in
 * step with the mounted files (secrets-store-csi-driver's {@code SecretObject}). Already bounded and
 * trimmed by {@link SecretObjects#parse}; loads no Kubernetes client class.
 *
 * @param secretName the Secret's name in the pod's namespace
 * @param type the Secret's {@code type} as written ({@code Opaque}, {@code kubernetes.io/tls}, …)
 * @param labels labels to set (the managed label is added when the Secret is built)
 * @param annotations annotations to set
 * @param data which mounted file goes under which key
 */
public record SecretObject(String secretName, String type, Map<String, String> labels,
    Map<String, String> annotations, List<Data> data) {

  public SecretObject {
    requireNonNull(secretName, "secretName is null");
    requireNonNull(type, "type is null");
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    data = List.copyOf(data);
  }

  /**
   * {@code secretObjects[].data[]}: the Secret key {@code key} holds the mounted file
   * {@code objectName} (its path in the volume: an object's name or its alias).
   */
  public record Data(String objectName, String key) {
    public Data {
      requireNonNull(objectName, "objectName is null");
      requireNonNull(key, "key is null");
    }
  }

  /** Names only: annotation values may hold anything the namespace wrote. */
  @Override
  public String toString() {
    return "SecretObject[" + secretName + ", type=" + type + ", keys="
        + data.stream().map(Data::key).toList() + "]";
  }
}
