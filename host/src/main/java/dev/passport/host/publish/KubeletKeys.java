package dev.passport.host.publish;

/** The volume_context and secrets keys kubelet sets (kubernetes pkg/volume/csi/csi_mounter.go). */
public final class KubeletKeys {

  public static final String PREFIX = "csi.storage.k8s.io/";
  public static final String POD_NAME = PREFIX + "pod.name";
  public static final String POD_NAMESPACE = PREFIX + "pod.namespace";
  public static final String POD_UID = PREFIX + "pod.uid";
  public static final String SERVICE_ACCOUNT_NAME = PREFIX + "serviceAccount.name";
  public static final String EPHEMERAL = PREFIX + "ephemeral";
  /** The per-audience tokens JSON; in {@code secrets} with serviceAccountTokenInSecrets, else in volume_context. */
  public static final String TOKENS = PREFIX + "serviceAccount.tokens";

  /** The volume attribute that selects the backend plugin. */
  public static final String BACKEND = "backend";

  private KubeletKeys() {}
}
