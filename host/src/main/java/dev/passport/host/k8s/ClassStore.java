package dev.passport.host.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The informer's store of the cluster's SecretProviderClasses, holding each as Passport reads it:
 * its identity and {@code spec}, nothing else. The informer keeps every class of the cluster on
 * every node, and each is written by a namespace Passport does not trust, so what the API server
 * sends beyond that ({@code metadata.managedFields}, annotations such as kubectl's
 * last-applied-configuration, labels, {@code status}) is dropped as it arrives, and a class whose
 * spec is larger than {@value #MAX_SPEC_CHARS} characters (the API server lets an object grow to
 * about 1.5 MiB) is kept as a {@link Refused} stub of its name and size: a volume naming it is
 * refused with that size, and the spec is not held.
 */
final class ClassStore implements ItemStore<GenericKubernetesResource> {

  private static final Logger LOG = LoggerFactory.getLogger(ClassStore.class);

  /**
   * The largest spec kept: the characters of its keys and string values. Above every valid class:
   * {@code spec.parameters} may hold {@value InformedSecretProviderClasses#MAX_PARAMETER_BYTES}
   * bytes, and the rest of a spec (provider, secretObjects) is small.
   */
  static final int MAX_SPEC_CHARS = 512 * 1024;

  private final BasicItemStore<GenericKubernetesResource> items =
      new BasicItemStore<>(Cache::metaNamespaceKeyFunc);

  /** A class too large to hold: its identity only. */
  static final class Refused extends GenericKubernetesResource {
    Refused(ObjectMeta metadata) {
      setMetadata(metadata);
    }
  }

  @Override
  public String getKey(GenericKubernetesResource resource) {
    return items.getKey(resource);
  }

  @Override
  public GenericKubernetesResource put(String key, GenericKubernetesResource resource) {
    return items.put(key, kept(resource));
  }

  /** What is held of {@code resource}: identity and spec, or a stub when the spec is too large. */
  static GenericKubernetesResource kept(GenericKubernetesResource resource) {
    ObjectMeta from = resource.getMetadata();
    ObjectMeta metadata = new ObjectMetaBuilder()
        .withNamespace(from.getNamespace())
        .withName(from.getName())
        .withUid(from.getUid())
        .withResourceVersion(from.getResourceVersion())
        .withGeneration(from.getGeneration())
        .build();
    Object spec = resource.getAdditionalProperties().get("spec");
    long chars = chars(spec, 0);
    if (chars > MAX_SPEC_CHARS) {
      LOG.warn("SecretProviderClass {}/{} has a spec of more than {} characters: not held,"
          + " volumes naming it are refused", from.getNamespace(), from.getName(), MAX_SPEC_CHARS);
      return new Refused(metadata);
    }
    GenericKubernetesResource kept = new GenericKubernetesResource();
    kept.setApiVersion(resource.getApiVersion());
    kept.setKind(resource.getKind());
    kept.setMetadata(metadata);
    if (spec != null) {
      kept.setAdditionalProperty("spec", spec);
    }
    return kept;
  }

  /**
   * The characters of {@code value}'s keys and strings, plus one per other scalar, counted up to
   * just past the bound (a megabyte-sized spec is not walked to its end).
   */
  private static long chars(Object value, long counted) {
    if (counted > MAX_SPEC_CHARS) {
      return counted;
    }
    if (value instanceof String s) {
      return counted + s.length();
    }
    if (value instanceof Map<?, ?> map) {
      long total = counted;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        total = chars(e.getValue(), total + String.valueOf(e.getKey()).length());
        if (total > MAX_SPEC_CHARS) {
          return total;
        }
      }
      return total;
    }
    if (value instanceof List<?> list) {
      long total = counted;
      for (Object item : list) {
        total = chars(item, total + 1);
        if (total > MAX_SPEC_CHARS) {
          return total;
        }
      }
      return total;
    }
    return counted + 1;
  }

  @Override
  public GenericKubernetesResource remove(String key) {
    return items.remove(key);
  }

  @Override
  public Stream<String> keySet() {
    return items.keySet();
  }

  @Override
  public Stream<GenericKubernetesResource> values() {
    return items.values();
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public GenericKubernetesResource get(String key) {
    return items.get(key);
  }
}
