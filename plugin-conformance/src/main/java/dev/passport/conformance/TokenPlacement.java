package dev.passport.conformance;

/** Where kubelet puts the pod's tokens in a NodePublishVolume request. */
public enum TokenPlacement {
  /**
   * In {@code secrets} (CSIDriver {@code serviceAccountTokenInSecrets: true}, Kubernetes 1.35+):
   * the field is marked {@code csi_secret}, so sidecars and interceptors redact it.
   */
  SECRETS,
  /** In {@code volume_context}, as older kubelets do. */
  VOLUME_CONTEXT
}
