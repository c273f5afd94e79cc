package dev.passport.host.k8s;

import dev.passport.api.MaterialFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The Secret one {@link SecretObject} asks for, built from the volume's files as
 * secrets-store-csi-driver builds it ({@code secretutil.GetSecretData}, the controller's
 * {@code createOrUpdateK8sSecret}): each {@code data[].key} holds the bytes of the mounted file
 * {@code objectName} (for {@code kubernetes.io/tls}, {@code tls.crt} and {@code tls.key} hold the
 * certificate and key parts of that file); the labels are the class's plus
 * {@value #MANAGED_LABEL}{@code =true}; the annotations the class's. Pure: no API call.
 *
 * @param hash a digest of everything written (type, labels, annotations, data), so an unchanged
 *     Secret costs no API call
 */
record SyncedSecret(String name, String type, SortedMap<String, String> labels,
    SortedMap<String, String> annotations, SortedMap<String, byte[]> data, String hash) {

  /** secrets-store-csi-driver's label on the Secrets it manages; Passport sets and checks it. */
  static final String MANAGED_LABEL = "secrets-store.csi.k8s.io/managed";
  static final String TLS = "kubernetes.io/tls";
  /** Kubernetes' {@code MaxSecretSize}: keys and values of {@code data}, in bytes. */
  static final int MAX_SECRET_BYTES = 1024 * 1024;

  static SyncedSecret build(SecretObject object, Map<String, byte[]> files, String what)
      throws SecretSyncException {
    SortedMap<String, byte[]> data = new TreeMap<>();
    for (SecretObject.Data entry : object.data()) {
      byte[] content = files.get(entry.objectName());
      if (content == null) {
        // secrets-store-csi-driver: "file matching objectName %s not found in the pod"
        throw new SecretSyncException(SecretSyncException.Kind.INVALID, what + ": Secret "
            + object.secretName() + ": file matching objectName "
            + SecretObjects.quote(entry.objectName()) + " not found in the pod; the volume holds "
            + shown(files) + " (objectName is the mounted file's name: the object's name or alias)");
      }
      byte[] value = content;
      if (object.type().equals(TLS)) {
        try {
          value = TlsParts.part(content, entry.key());
        } catch (IllegalArgumentException e) {
          throw new SecretSyncException(SecretSyncException.Kind.INVALID, what + ": Secret "
              + object.secretName() + ": failed to get cert data from file "
              + SecretObjects.quote(entry.objectName()) + ": " + e.getMessage());
        }
      }
      // as there: a later entry with the same key wins
      data.put(entry.key(), value);
    }
    long size = 0;
    for (Map.Entry<String, byte[]> e : data.entrySet()) {
      size += e.getKey().getBytes(StandardCharsets.UTF_8).length + (long) e.getValue().length;
    }
    if (size > MAX_SECRET_BYTES) {
      throw new SecretSyncException(SecretSyncException.Kind.INVALID, what + ": Secret "
          + object.secretName() + " would hold " + size + " bytes of data; Kubernetes allows at"
          + " most " + MAX_SECRET_BYTES + " (1 MiB): sync fewer or smaller objects into it");
    }
    SortedMap<String, String> labels = new TreeMap<>(object.labels());
    labels.put(MANAGED_LABEL, "true");
    SortedMap<String, String> annotations = new TreeMap<>(object.annotations());
    return new SyncedSecret(object.secretName(), object.type(), labels, annotations, data,
        digest(object.type(), labels, annotations, data));
  }

  /** Path → content of a volume's files, the names objectName refers to. */
  static Map<String, byte[]> files(List<MaterialFile> files) {
    Map<String, byte[]> byPath = new HashMap<>();
    for (MaterialFile file : files) {
      byPath.put(file.path(), file.content());
    }
    return byPath;
  }

  private static String shown(Map<String, byte[]> files) {
    TreeSet<String> names = new TreeSet<>(files.keySet());
    List<String> first = names.stream().limit(10).map(SecretObjects::quote).toList();
    return first + (names.size() > 10 ? " and " + (names.size() - 10) + " more" : "");
  }

  private static String digest(String type, Map<String, String> labels,
      Map<String, String> annotations, Map<String, byte[]> data) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      field(sha, type.getBytes(StandardCharsets.UTF_8));
      for (Map<String, String> map : List.of(labels, annotations)) {
        field(sha, ByteBuffer.allocate(4).putInt(map.size()).array());
        for (Map.Entry<String, String> e : map.entrySet()) {
          field(sha, e.getKey().getBytes(StandardCharsets.UTF_8));
          field(sha, e.getValue().getBytes(StandardCharsets.UTF_8));
        }
      }
      field(sha, ByteBuffer.allocate(4).putInt(data.size()).array());
      for (Map.Entry<String, byte[]> e : data.entrySet()) {
        field(sha, e.getKey().getBytes(StandardCharsets.UTF_8));
        field(sha, e.getValue());
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  /** Length-prefixed, so no two different Secrets hash the same bytes. */
  private static void field(MessageDigest sha, byte[] bytes) {
    sha.update(ByteBuffer.allocate(8).putLong(bytes.length).array());
    sha.update(bytes);
  }

  @Override
  public String toString() {
    return "SyncedSecret[" + name + ", type=" + type + ", keys=" + data.keySet() + "]";
  }
}
