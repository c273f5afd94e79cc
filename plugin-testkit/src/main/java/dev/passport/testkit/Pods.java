package dev.passport.testkit;

import dev.passport.api.Pod;
import java.util.UUID;

/** Pods for tests: each call gives a fresh random UID, as the API server would. */
public final class Pods {

  private Pods() {}

  /** A pod running as the namespace's {@code default} service account. */
  public static Pod pod(String namespace, String name) {
    return pod(namespace, name, "default");
  }

  /** A pod running as {@code serviceAccount}. */
  public static Pod pod(String namespace, String name, String serviceAccount) {
    return Pod.of(namespace, name, UUID.randomUUID().toString(), serviceAccount);
  }
}
