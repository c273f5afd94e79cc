package dev.passport.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.Pod;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PodsTest {

  @Test
  void pod_withoutServiceAccount_runsAsDefaultWithARandomUid() {
    Pod first = Pods.pod("shop", "web-0");
    Pod second = Pods.pod("shop", "web-0");

    assertThat(first.serviceAccount()).isEqualTo("default");
    assertThat(UUID.fromString(first.uid()).toString()).isEqualTo(first.uid());
    assertThat(first.uid()).isNotEqualTo(second.uid());
  }

  @Test
  void pod_withServiceAccount_keepsIt() {
    Pod pod = Pods.pod("shop", "web-0", "web");

    assertThat(pod.namespace()).isEqualTo("shop");
    assertThat(pod.name()).isEqualTo("web-0");
    assertThat(pod.serviceAccountUser()).isEqualTo("system:serviceaccount:shop:web");
  }
}
