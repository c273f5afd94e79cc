package dev.passport.host.k8s;

import static java.util.Objects.requireNonNull;

import dev.passport.host.logging.LogRedaction;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SecretProviderClasses from a fabric8 informer over the whole cluster (one list, then one watch):
 * {@link #find} reads the informer's store, so a publish or republish costs no API call, and a
 * changed class is seen at the next republish after the watch delivers it.
 *
 * <p>Bounds (the class is written by the pod's namespace, which Passport does not trust): at most
 * {@value #MAX_PARAMETERS} parameters, keys of at most {@value #MAX_KEY_CHARS} characters, and
 * {@value #MAX_PARAMETER_BYTES} bytes of keys and values in all; {@code spec.provider} at most
 * {@value #MAX_PROVIDER_CHARS} characters. A class past a bound is refused by name, not truncated.
 * The informer holds each class as {@link ClassStore} keeps it: identity and spec, at most
 * {@value ClassStore#MAX_SPEC_CHARS} characters of spec.
 */
public final class InformedSecretProviderClasses implements SecretProviderClasses {

  private static final Logger LOG = LoggerFactory.getLogger(InformedSecretProviderClasses.class);

  /** secrets-store-csi-driver's CRD; v1alpha1 objects are served as v1 (same storage, no conversion). */
  static final ResourceDefinitionContext CRD = new ResourceDefinitionContext.Builder()
      .withGroup("secrets-store.csi.x-k8s.io")
      .withVersion("v1")
      .withKind("SecretProviderClass")
      .withPlural("secretproviderclasses")
      .withNamespaced(true)
      .build();

  static final int MAX_PARAMETERS = 64;
  static final int MAX_KEY_CHARS = 253;
  static final int MAX_PARAMETER_BYTES = 256 * 1024;
  static final int MAX_PROVIDER_CHARS = 63;

  private final KubernetesClient client;
  private final SharedIndexInformer<GenericKubernetesResource> informer;
  private final String source;
  private final AtomicReference<String> lastFailure = new AtomicReference<>("");

  private InformedSecretProviderClasses(KubernetesClient client, String source) {
    this.client = client;
    this.source = source;
    this.informer = client.genericKubernetesResources(CRD).inAnyNamespace().runnableInformer(0);
    // every class of the cluster is held on every node: only what Passport reads, within a bound
    informer.itemStore(new ClassStore());
    // Keep listing and watching whatever fails (no CRD yet, a 403 until the ClusterRole exists,
    // an API server restart): each failure is logged once, lookups answer "not synced" meanwhile.
    informer.exceptionHandler((started, failure) -> {
      String message = String.valueOf(failure.getMessage());
      if (!message.equals(lastFailure.getAndSet(message))) {
        LOG.warn("listing/watching SecretProviderClasses ({}) failed, retrying: {}", source, message);
        LOG.debug("SecretProviderClass informer failure", failure);
      }
      return true;
    });
  }

  /**
   * Starts the informer on {@code client} (which it then owns) and waits up to {@code syncWait}
   * for the first list; the host starts either way, and lookups wait for the sync.
   */
  public static InformedSecretProviderClasses start(KubernetesClient client, String source,
      Duration syncWait) {
    requireNonNull(client, "client is null");
    InformedSecretProviderClasses classes = new InformedSecretProviderClasses(client, source);
    try {
      classes.informer.start().toCompletableFuture().get(syncWait.toMillis(), TimeUnit.MILLISECONDS);
      LOG.info("SecretProviderClasses from {}: {} known", source, classes.informer.getStore().listKeys().size());
    } catch (TimeoutException e) {
      LOG.warn("SecretProviderClasses from {} not listed within {}; volumes naming one wait until"
          + " they are", source, syncWait);
    } catch (ExecutionException e) {
      LOG.warn("SecretProviderClasses from {}: first list failed ({}); retrying", source,
          e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return classes;
  }

  @Override
  public Optional<SecretProviderClass> find(String namespace, String name)
      throws SecretProviderClassException {
    if (!informer.hasSynced()) {
      throw new SecretProviderClassException("the driver has not yet listed the cluster's"
          + " SecretProviderClasses from " + source + " (see the driver's log); kubelet retries",
          true);
    }
    GenericKubernetesResource resource = informer.getStore().getByKey(namespace + "/" + name);
    if (resource instanceof ClassStore.Refused) {
      throw invalid("SecretProviderClass " + namespace + "/" + name + " has a spec of more than "
          + ClassStore.MAX_SPEC_CHARS + " characters, which the driver does not hold; split it"
          + " into several classes");
    }
    return resource == null ? Optional.empty() : Optional.of(parse(namespace, name, resource));
  }

  /** What the informer holds of one class (see {@link ClassStore}), for diagnostics and tests. */
  Optional<GenericKubernetesResource> held(String namespace, String name) {
    return Optional.ofNullable(informer.getStore().getByKey(namespace + "/" + name));
  }

  /** The informer's items as Passport reads them, for the demo and diagnostics. */
  int size() {
    return informer.getStore().listKeys().size();
  }

  @Override
  public String describe() {
    return source;
  }

  @Override
  public void close() {
    informer.close();
    client.close();
  }

  /** Reads spec.provider and spec.parameters, within the bounds above. */
  static SecretProviderClass parse(String namespace, String name, GenericKubernetesResource resource)
      throws SecretProviderClassException {
    String what = "SecretProviderClass " + namespace + "/" + name;
    Object spec = resource.getAdditionalProperties().get("spec");
    if (!(spec instanceof Map<?, ?> specMap)) {
      throw invalid(what + " has no spec");
    }
    Object provider = specMap.get("provider");
    if (!(provider instanceof String providerName) || providerName.isEmpty()) {
      // secrets-store-csi-driver: "provider not set in <ns>/<name>"
      throw invalid("provider not set in " + namespace + "/" + name + ": set spec.provider of "
          + what);
    }
    if (providerName.length() > MAX_PROVIDER_CHARS) {
      throw invalid(what + ": spec.provider is longer than " + MAX_PROVIDER_CHARS + " characters");
    }
    Object parameters = specMap.get("parameters");
    if (!(parameters instanceof Map<?, ?> raw) || raw.isEmpty()) {
      // secrets-store-csi-driver refuses a class without parameters the same way
      throw invalid("parameters not set in " + namespace + "/" + name + ": set spec.parameters"
          + " of " + what);
    }
    if (raw.size() > MAX_PARAMETERS) {
      throw invalid(what + " has " + raw.size() + " spec.parameters; at most " + MAX_PARAMETERS
          + " are allowed");
    }
    Map<String, String> out = new LinkedHashMap<>();
    long bytes = 0;
    for (Map.Entry<?, ?> e : raw.entrySet()) {
      String key = String.valueOf(e.getKey());
      if (key.length() > MAX_KEY_CHARS) {
        throw invalid(what + ": a spec.parameters key is longer than " + MAX_KEY_CHARS
            + " characters");
      }
      if (!(e.getValue() instanceof String value)) {
        throw invalid(what + ": spec.parameters." + LogRedaction.quote(key) + " is not a string (the CRD's"
            + " parameters are map[string]string; quote the value)");
      }
      bytes += key.getBytes(StandardCharsets.UTF_8).length + value.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_PARAMETER_BYTES) {
        throw invalid(what + ": spec.parameters hold more than " + MAX_PARAMETER_BYTES
            + " bytes; split the volume into several classes");
      }
      out.put(key, value);
    }
    // issue 19 item 4: the Secrets to sync, bounded as Kubernetes would validate them
    List<SecretObject> secretObjects = SecretObjects.parse(specMap.get("secretObjects"), what);
    return new SecretProviderClass(namespace, name, providerName, out, secretObjects);
  }

  private static SecretProviderClassException invalid(String message) {
    return new SecretProviderClassException(message, false);
  }
}
