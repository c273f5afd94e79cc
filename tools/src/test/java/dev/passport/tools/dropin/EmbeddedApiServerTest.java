package dev.passport.tools.dropin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.k8s.InformedSecretProviderClasses;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo's API server is enough for the host's informer: a list, then a quiet watch. */
class EmbeddedApiServerTest {

  @Test
  void informer_findsTheClassTheDemoServes() throws Exception {
    try (EmbeddedApiServer api = EmbeddedApiServer.start()) {
      api.add("demo", "app-db", "vault", Map.of("roleName", "web"));
      try (InformedSecretProviderClasses classes = InformedSecretProviderClasses.start(
          new KubernetesClientBuilder()
              .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(api.url()).build())
              .withHttpClientFactory(new JdkHttpClientFactory()).build(),
          "the demo API server", Duration.ofSeconds(20))) {

        assertThat(classes.find("demo", "app-db")).hasValueSatisfying(spc -> {
          assertThat(spc.provider()).isEqualTo("vault");
          assertThat(spc.parameters()).containsEntry("roleName", "web");
        });
        assertThat(classes.find("other", "app-db")).isEmpty();
      }
    }
  }
}
