package dev.passport.host.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Kubernetes API server: fabric8's mock in CRUD mode with secrets-store-csi-driver's
 * SecretProviderClass CRD. Counts the calls made with the driver's token, so tests can show that
 * republishes cost none.
 */
public final class FakeApiServer implements AutoCloseable {

  static final String DRIVER_TOKEN = "driver-sa-token";
  private static final String ADMIN_TOKEN = "admin-token";

  private final KubernetesMockServer server;
  private final KubernetesClient admin;
  private final AtomicInteger driverCalls = new AtomicInteger();
  private final AtomicInteger refusedLists = new AtomicInteger();
  /** While set, the driver's lists are answered 503, as an API server that is not ready yet. */
  private volatile boolean refuseDriverLists;

  public FakeApiServer() throws Exception {
    CustomResourceDefinitionContext spcs = new CustomResourceDefinitionContext.Builder()
        .withGroup("secrets-store.csi.x-k8s.io")
        .withVersion("v1")
        .withKind("SecretProviderClass")
        .withPlural("secretproviderclasses")
        .withScope("Namespaced")
        .build();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(List.of(spcs)) {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (("Bearer " + DRIVER_TOKEN).equals(request.getHeader("Authorization"))) {
              driverCalls.incrementAndGet();
              if (refuseDriverLists && isList(request)) {
                refusedLists.incrementAndGet();
                return new MockResponse().setResponseCode(503).setBody("{\"kind\":\"Status\","
                    + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"the server"
                    + " is not ready\",\"reason\":\"ServiceUnavailable\",\"code\":503}");
              }
            }
            return super.dispatch(request);
          }
        }, false);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    admin = client(ADMIN_TOKEN);
  }

  /** A client as the driver's service account (its calls are counted). */
  public KubernetesClient driverClient() {
    return client(DRIVER_TOKEN);
  }

  /** The informer the host uses, started on this server as the driver. */
  public InformedSecretProviderClasses informer() {
    return InformedSecretProviderClasses.start(driverClient(), "the fake API server",
        java.time.Duration.ofSeconds(20));
  }

  /**
   * An informer as {@link #informer()}, that waits at most {@code syncWait} for its first list and
   * retries a failed list after 50 ms (fabric8's default, 1 s doubling, would only slow the test).
   */
  public InformedSecretProviderClasses informer(java.time.Duration syncWait) {
    KubernetesClient driver = new KubernetesClientBuilder()
        .withConfig(config(DRIVER_TOKEN).withWatchReconnectInterval(50)
            .withRequestRetryBackoffLimit(0).build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
    return InformedSecretProviderClasses.start(driver, "the fake API server", syncWait);
  }

  private KubernetesClient client(String token) {
    return new KubernetesClientBuilder()
        .withConfig(config(token).build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  private ConfigBuilder config(String token) {
    return new ConfigBuilder(Config.empty()).withMasterUrl(url()).withOauthToken(token)
        .withNamespace("default");
  }

  /** A GET of a collection without {@code watch=true}: the informer's list. */
  private static boolean isList(RecordedRequest request) {
    String path = request.getPath();
    return "GET".equals(request.getMethod()) && path.startsWith("/apis/")
        && path.contains("/secretproviderclasses") && !path.contains("watch=true");
  }

  /** While {@code refuse}, the driver's list requests are answered 503 (its watches too never start). */
  public void refuseDriverLists(boolean refuse) {
    refuseDriverLists = refuse;
  }

  /** The driver's list requests answered 503 so far. */
  public int refusedLists() {
    return refusedLists.get();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** Requests the driver's identity made (list, watch), since the start. */
  public int driverCalls() {
    return driverCalls.get();
  }

  /** Creates or replaces a SecretProviderClass, as {@code kubectl apply} would. */
  public void apply(String namespace, String name, String provider, Map<String, String> parameters) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("provider", provider);
    spec.put("parameters", new LinkedHashMap<>(parameters));
    applySpec(namespace, name, spec);
  }

  /** Creates or replaces a SecretProviderClass with this spec, whatever its shape (none: null). */
  public void applySpec(String namespace, String name, Map<String, Object> spec) {
    GenericKubernetesResource resource = new GenericKubernetesResourceBuilder()
        .withApiVersion("secrets-store.csi.x-k8s.io/v1")
        .withKind("SecretProviderClass")
        .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
        .build();
    if (spec != null) {
      resource.setAdditionalProperty("spec", spec);
    }
    applyResource(resource);
  }

  /** Creates or replaces a SecretProviderClass as given (metadata and all). */
  public void applyResource(GenericKubernetesResource resource) {
    String namespace = resource.getMetadata().getNamespace();
    admin.genericKubernetesResources(InformedSecretProviderClasses.CRD).inNamespace(namespace)
        .resource(resource).createOr(existing -> existing.update());
  }

  @Override
  public void close() {
    admin.close();
    server.destroy();
  }
}
