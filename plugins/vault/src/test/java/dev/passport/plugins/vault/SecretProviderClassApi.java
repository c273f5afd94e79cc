package dev.passport.plugins.vault;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Kubernetes API server for drop-in mode: fabric8's mock in CRUD mode, serving
 * secrets-store-csi-driver's SecretProviderClass CRD. Classes are applied with an admin's
 * client; the driver reaches the server through a kubeconfig ({@link #writeDriverKubeconfig}), as
 * {@code --kubeconfig} does, with its own bearer token, so the requests it made can be told apart
 * in what the mock recorded.
 */
final class SecretProviderClassApi implements AutoCloseable {

  /** The driver's service account token: never a pod's, and never sent to a backend. */
  static final String DRIVER_TOKEN = "driver-sa-token-4f1c9e";
  private static final String ADMIN_TOKEN = "admin-token";

  private static final ResourceDefinitionContext SPC = new ResourceDefinitionContext.Builder()
      .withGroup("secrets-store.csi.x-k8s.io")
      .withVersion("v1")
      .withKind("SecretProviderClass")
      .withPlural("secretproviderclasses")
      .withNamespaced(true)
      .build();

  private final KubernetesMockServer server;
  private final KubernetesClient admin;
  /** Every request the mock recorded, in order, as drained from its queue. */
  private final List<RecordedRequest> recorded = new ArrayList<>();

  SecretProviderClassApi() {
    CustomResourceDefinitionContext crd = new CustomResourceDefinitionContext.Builder()
        .withGroup(SPC.getGroup())
        .withVersion(SPC.getVersion())
        .withKind(SPC.getKind())
        .withPlural(SPC.getPlural())
        .withScope("Namespaced")
        .build();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(List.of(crd)), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    admin = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(url())
            .withOauthToken(ADMIN_TOKEN).build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  String url() {
    return "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getPort();
  }

  /** A kubeconfig for the driver's identity on this server, as an operator writes one. */
  Path writeDriverKubeconfig(Path file) throws IOException {
    return Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: %s
        users:
        - name: passport-driver
          user:
            token: %s
        contexts:
        - name: fake
          context:
            cluster: fake
            user: passport-driver
        current-context: fake
        """.formatted(url(), DRIVER_TOKEN));
  }

  /**
   * Creates or replaces a SecretProviderClass, as {@code kubectl apply} of its YAML would, with
   * the parameters in this order.
   */
  void apply(String namespace, String name, String provider, Map<String, String> parameters) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("provider", provider);
    spec.put("parameters", new LinkedHashMap<>(parameters));
    GenericKubernetesResource resource = new GenericKubernetesResourceBuilder()
        .withApiVersion(SPC.getGroup() + "/" + SPC.getVersion())
        .withKind(SPC.getKind())
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .addToAdditionalProperties("spec", spec)
        .build();
    admin.genericKubernetesResources(SPC).inNamespace(namespace).resource(resource)
        .createOr(existing -> existing.update());
  }

  /**
   * The requests the driver's identity made so far, as {@code "METHOD path"}, watches included
   * (a watch is one long request per informer, not one per publish: callers exclude it).
   */
  synchronized List<String> driverRequests() throws InterruptedException {
    RecordedRequest request;
    while ((request = server.takeRequest(0, TimeUnit.MILLISECONDS)) != null) {
      recorded.add(request);
    }
    return recorded.stream()
        .filter(r -> ("Bearer " + DRIVER_TOKEN).equals(r.getHeader("Authorization")))
        .map(r -> r.getMethod() + " " + r.getPath())
        .toList();
  }

  /** Whether a recorded request line is a watch (a query with {@code watch=true}). */
  static boolean isWatch(String request) {
    int query = request.indexOf('?');
    return query >= 0 && List.of(request.substring(query + 1).split("&")).contains("watch=true");
  }

  @Override
  public void close() {
    admin.close();
    server.destroy();
  }
}
