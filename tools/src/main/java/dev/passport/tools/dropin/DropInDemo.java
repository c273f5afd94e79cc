package dev.passport.tools.dropin;

import dev.passport.host.k8s.InformedSecretProviderClasses;
import dev.passport.host.k8s.SecretProviderClasses;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.time.Duration;

/** The demo's drop-in step: the host's informer pointed at the {@link EmbeddedApiServer}. */
public final class DropInDemo {

  private DropInDemo() {}

  /** The classes {@code api} serves, as the host reads them in drop-in mode (the host closes them). */
  public static SecretProviderClasses classes(EmbeddedApiServer api) {
    return InformedSecretProviderClasses.start(new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(api.url()).build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build(), "the demo's embedded API server " + api.url(), Duration.ofSeconds(20));
  }
}
