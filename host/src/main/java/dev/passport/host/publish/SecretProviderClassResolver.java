package dev.passport.host.publish;

import static java.util.Objects.requireNonNull;

import dev.passport.host.k8s.SecretProviderClass;
import dev.passport.host.k8s.SecretProviderClassException;
import dev.passport.host.k8s.SecretProviderClasses;
import dev.passport.host.logging.LogRedaction;
import dev.passport.host.publish.PublishException.Code;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Drop-in mode (issue 19): a volume that names a {@code secretProviderClass} gets its backend from
 * the class's {@code spec.provider} and its attributes from {@code spec.parameters}, as
 * secrets-store-csi-driver gives them to its provider.
 *
 * <p>Merge rule, from secrets-store-csi-driver's NodePublishVolume ({@code maps.Copy(parameters,
 * attrib)}): the volume's attributes are laid over the class's parameters, so an attribute wins
 * over a parameter of the same key. What Passport leaves out of the backend's attributes: kubelet's
 * {@code csi.storage.k8s.io/*} keys (the pod and its tokens reach the backend as
 * {@code FetchRequest.pod()} and {@code tokens()}, never as strings a class could forge) from both
 * sides, and {@code secretProviderClass} itself.
 */
public final class SecretProviderClassResolver {

  /** The volume attribute secrets-store-csi-driver reads. */
  public static final String SECRET_PROVIDER_CLASS = "secretProviderClass";
  /** The flag that turns drop-in mode on, named in the error when it is off. */
  public static final String FLAG = "--secret-provider-classes";

  /** secrets-store-csi-driver's providers and the Passport backend serving their parameters. */
  public static final Map<String, String> DEFAULT_PROVIDERS = Map.of("vault", "vault", "gcp", "gcp");

  /** A DNS-1123 subdomain, the rule for a SecretProviderClass name. */
  private static final Pattern NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final int MAX_NAME = 253;

  private final Optional<SecretProviderClasses> classes;
  private final Map<String, String> providers;
  private final String driverName;

  /**
   * @param classes the cluster's classes; empty when drop-in mode is off
   * @param providers provider → backend overrides, laid over {@link #DEFAULT_PROVIDERS}; any
   *     provider not named maps to the backend of the same name
   */
  public SecretProviderClassResolver(Optional<SecretProviderClasses> classes,
      Map<String, String> providers, String driverName) {
    this.classes = requireNonNull(classes, "classes is null");
    Map<String, String> all = new HashMap<>(DEFAULT_PROVIDERS);
    all.putAll(requireNonNull(providers, "providers is null"));
    this.providers = Map.copyOf(all);
    this.driverName = requireNonNull(driverName, "driverName is null");
  }

  /** Drop-in mode off: a volume naming a class is refused, naming the flag. */
  static SecretProviderClassResolver off(String driverName) {
    return new SecretProviderClassResolver(Optional.empty(), Map.of(), driverName);
  }

  /**
   * The backend and attributes for a volume, when it names a SecretProviderClass and no
   * {@code backend}; empty for an inline volume ({@code backend} and its attributes, which may
   * include a leftover {@code secretProviderClass} the backend then sees).
   *
   * @param served the backends this node serves, for the error naming them
   */
  Optional<Resolved> resolve(Map<String, String> context, String namespace, Set<String> served)
      throws PublishException {
    String name = context.get(SECRET_PROVIDER_CLASS);
    if (name == null) {
      return Optional.empty();
    }
    if (context.containsKey(KubeletKeys.BACKEND)) {
      // An inline volume: a pod spec moved over from secrets-store-csi-driver may keep its
      // secretProviderClass attribute next to the inline ones (provider-gcp ignores it, issue 17);
      // it goes to the backend as one of its attributes, and no class is read.
      return Optional.empty();
    }
    if (name.isEmpty() || name.length() > MAX_NAME || !NAME.matcher(name).matches()) {
      throw PublishException.invalid("volume attribute " + SECRET_PROVIDER_CLASS + " "
          + LogRedaction.quote(name) + " is not a Kubernetes object name (lowercase letters,"
          + " digits, '-' and '.', at most " + MAX_NAME + " characters)");
    }
    if (classes.isEmpty()) {
      throw new PublishException(Code.FAILED_PRECONDITION, "the volume names SecretProviderClass "
          + namespace + "/" + name + ", but " + driverName + " runs without Kubernetes API access:"
          + " start it with " + FLAG + " (Helm value dropIn.enabled=true), or give the volume a"
          + " \"backend\" attribute with inline attributes");
    }
    SecretProviderClass spc = find(classes.get(), namespace, name);
    // spec.secretObjects are synced after the write (SecretSyncStep), or refused there.
    String backend = providers.getOrDefault(spc.provider(), spc.provider());
    if (!served.contains(backend)) {
      throw PublishException.invalid("SecretProviderClass " + namespace + "/" + name
          + " names provider " + LogRedaction.quote(spc.provider()) + (backend.equals(spc.provider())
              ? "" : " (served by backend " + backend + ")")
          + ", which this node does not serve; its backends are " + new TreeSet<>(served)
          + " (map a provider to a backend with --provider-backend PROVIDER=BACKEND)");
    }
    return Optional.of(new Resolved(backend, merge(spc.parameters(), context), spc));
  }

  private static SecretProviderClass find(SecretProviderClasses classes, String namespace,
      String name) throws PublishException {
    try {
      return classes.find(namespace, name).orElseThrow(() -> new PublishException(Code.NOT_FOUND,
          // secrets-store-csi-driver: "failed to get secretproviderclass <ns>/<name>, error: ..."
          "failed to get secretproviderclass " + namespace + "/" + name + ": no SecretProviderClass "
              + name + " in namespace " + namespace + " (the pod's); create it there, or fix the"
              + " volume's " + SECRET_PROVIDER_CLASS + " attribute"));
    } catch (SecretProviderClassException e) {
      throw new PublishException(e.retryable() ? Code.UNAVAILABLE : Code.INVALID_ARGUMENT,
          e.getMessage());
    }
  }

  /** The class's parameters with the volume's attributes laid over them, minus kubelet's keys. */
  static Map<String, String> merge(Map<String, String> parameters, Map<String, String> context) {
    Map<String, String> merged = new HashMap<>();
    parameters.forEach((k, v) -> {
      if (!k.startsWith(KubeletKeys.PREFIX)) {
        merged.put(k, v);
      }
    });
    context.forEach((k, v) -> {
      if (!k.startsWith(KubeletKeys.PREFIX) && !k.equals(SECRET_PROVIDER_CLASS)) {
        merged.put(k, v);
      }
    });
    return Map.copyOf(merged);
  }

  /** The backend a volume's class chose, the attributes it is prepared with, and the class. */
  record Resolved(String backend, Map<String, String> attributes, SecretProviderClass spc) {}
}
