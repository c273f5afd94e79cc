package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpConfig.AUDIENCE;
import static dev.passport.plugins.gcp.GcpConfig.DELEGATES;
import static dev.passport.plugins.gcp.GcpConfig.SERVICE_ACCOUNT;
import static dev.passport.plugins.gcp.GcpConfig.WORKLOAD_IDENTITY_PROVIDER;
import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.PreparedVolume;
import dev.passport.support.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A volume's attributes, validated once and merged with the plugin defaults. The attribute names
 * are those of secrets-store-csi-driver-provider-gcp's SecretProviderClass parameters, so that its
 * users can move their {@code parameters} into {@code volumeAttributes} unchanged.
 *
 * @param secrets what to read, in the order given
 * @param auth whose identity reads it
 * @param audience the audience of the pod token handed to STS (empty with provider-adc)
 * @param workloadIdentityProvider the STS audience (empty with provider-adc)
 * @param serviceAccount a Google service account to impersonate
 * @param delegates the delegation chain for impersonation, as IAM resource names
 * @param remote {@code https://host:port} of the regional endpoint the volume's first regional
 *     secret names, when locations choose endpoints: the one address a volume chooses, for the
 *     host's per-remote limit
 * @param serviceAccountChosen whether the volume's attributes name the service account (or
 *     delegates), which then wins over the Kubernetes service account's annotation
 * @param ignored what provider-gcp ignores and so does Passport (unknown fields, fileName next
 *     to path, the secrets-store driver's secretProviderClass attribute), for one warning
 * @param eitherPoolAudience whether no audience was configured for a Workload Identity Federation
 *     pool provider: the pod token may then have either of the two forms the pool accepts by
 *     default, {@code https://iam.googleapis.com/…} (Passport's default) or
 *     {@code //iam.googleapis.com/…} (provider-gcp's documented CSIDriver tokenRequests)
 */
record GcpVolume(
    List<SecretObject> secrets,
    Auth auth,
    Optional<String> audience,
    Optional<String> workloadIdentityProvider,
    Optional<String> serviceAccount,
    List<String> delegates,
    Optional<String> remote,
    boolean serviceAccountChosen,
    List<String> ignored,
    boolean eitherPoolAudience) implements PreparedVolume {

  /** Whose identity fetches the secrets. */
  enum Auth {
    /** The pod's own identity through Workload Identity Federation: the default. */
    POD_ADC("pod-adc"),
    /** The driver's application default credentials; only when the plugin config allows it. */
    PROVIDER_ADC("provider-adc");

    final String attributeValue;

    Auth(String attributeValue) {
      this.attributeValue = attributeValue;
    }
  }

  static final String SECRETS = "secrets";
  static final String AUTH = "auth";
  // the secrets-store CSI driver's own attribute, naming the SecretProviderClass; a pod spec moved
  // over from it may keep it
  static final String SECRET_PROVIDER_CLASS = "secretProviderClass";

  GcpVolume {
    secrets = List.copyOf(secrets);
    delegates = List.copyOf(delegates);
    requireNonNull(remote, "remote is null");
    ignored = List.copyOf(ignored);
  }

  /** This volume impersonating {@code target} instead (from the service account annotation). */
  GcpVolume impersonating(ServiceAccountAnnotations.Target target) {
    return new GcpVolume(secrets, auth, audience, workloadIdentityProvider,
        target.serviceAccount(), target.delegates(), remote, serviceAccountChosen, ignored,
        eitherPoolAudience);
  }

  /** This volume with the pod token of {@code chosen}, one of {@link #optionalAudiences()}. */
  private GcpVolume withAudience(String chosen) {
    return new GcpVolume(secrets, auth, Optional.of(chosen), workloadIdentityProvider,
        serviceAccount, delegates, remote, serviceAccountChosen, ignored, false);
  }

  /**
   * This volume with the audience of the pod token the fetch uses: the configured one, or for a
   * pool provider without one, whichever of its two default forms kubelet sent.
   *
   * @throws BackendException UNAUTHENTICATED naming both forms and the tokenRequests fix when
   *     kubelet sent neither
   */
  GcpVolume withTokenOf(FetchRequest request) throws BackendException {
    if (!eitherPoolAudience) {
      return this;
    }
    for (String candidate : optionalAudiences()) {
      if (request.tokens().containsKey(candidate)) {
        return withAudience(candidate);
      }
    }
    throw new BackendException(BackendException.Kind.UNAUTHENTICATED, "no service account token"
        + " for the workload identity pool: kubelet sent none for audience \""
        + audience.orElseThrow() + "\" nor \"" + workloadIdentityProvider.orElseThrow()
        + "\"; add one of them to spec.tokenRequests of the CSIDriver, or set the volume"
        + " attribute audience");
  }

  /** The secret versions, for messages. */
  List<String> resourceNames() {
    return secrets.stream().map(s -> s.resource().name()).toList();
  }

  /**
   * The pod token audience STS needs; none with provider-adc, and none required for a pool
   * provider without a configured audience (see {@link #optionalAudiences()}).
   */
  @Override
  public Set<String> audiences() {
    return eitherPoolAudience ? Set.of() : audience.map(Set::of).orElse(Set.of());
  }

  /**
   * For a pool provider without a configured audience, both forms the pool accepts by default:
   * the fetch takes whichever kubelet sent.
   */
  @Override
  public Set<String> optionalAudiences() {
    return eitherPoolAudience
        ? new java.util.LinkedHashSet<>(List.of(audience.orElseThrow(),
            workloadIdentityProvider.orElseThrow()))
        : Set.of();
  }

  /** Whether every secret names a numeric version, whose content never changes. */
  boolean allPinned() {
    return secrets.stream().allMatch(s -> s.resource().pinned());
  }

  /**
   * Validates {@code attributes} and fills what they leave out from {@code config}.
   *
   * @throws BackendException of kind INVALID_ARGUMENT naming the bad attribute or field
   */
  static GcpVolume parse(Map<String, String> attributes, GcpConfig config)
      throws BackendException {
    Settings settings = Settings.attributes(attributes);
    // unknown attributes are refused before any value is judged, as provider-gcp's users expect
    // a typo to be named rather than a later, unrelated error
    settings.known(SECRETS, AUTH, AUDIENCE, WORKLOAD_IDENTITY_PROVIDER, SERVICE_ACCOUNT, DELEGATES,
        SECRET_PROVIDER_CLASS).rejectUnknown();
    SecretsAttribute.Parsed parsed = SecretsAttribute.parse(settings.required(SECRETS,
        "give a YAML list such as '- resourceName: projects/<project>/secrets/<secret>/versions/"
            + "latest\\n  path: <file>'"));
    List<SecretObject> secrets = parsed.secrets();
    List<String> ignored = new ArrayList<>(parsed.ignored());
    if (settings.has(SECRET_PROVIDER_CLASS)) {
      ignored.add("volume attribute " + SECRET_PROVIDER_CLASS + " (Passport reads the secrets"
          + " attribute itself)");
    }
    Optional<String> remote = checkLocations(secrets, config);
    Auth auth = auth(settings);
    if (auth == Auth.PROVIDER_ADC) {
      if (!config.allowProviderAdc()) {
        throw BackendException.invalid(
            "volume attribute auth: provider-adc is refused: it would read secrets as the driver"
                + " instead of as the pod; use auth: pod-adc (the default), or ask the cluster"
                + " admin to set the gcp.properties key allowProviderAdc=true");
      }
      for (String podOnly : List.of(AUDIENCE, WORKLOAD_IDENTITY_PROVIDER, SERVICE_ACCOUNT,
          DELEGATES)) {
        if (settings.has(podOnly)) {
          throw BackendException.invalid(
              settings.describe(podOnly) + " has no effect with auth: provider-adc; remove it");
        }
      }
      return new GcpVolume(
          secrets, auth, Optional.empty(), Optional.empty(), Optional.empty(), List.of(), remote,
          false, ignored, false);
    }

    GcpConfig.VolumeDefaults defaults = config.defaults();
    Optional<String> provider = GcpConfig.workloadIdentityProvider(settings)
        .or(defaults::workloadIdentityProvider);
    if (provider.isEmpty()) {
      throw BackendException.invalid(
          settings.describe(WORKLOAD_IDENTITY_PROVIDER) + " is missing and gcp.properties sets no"
              + " default; give the STS audience, e.g."
              + " //iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/"
              + "<pool>/providers/<provider> or, on GKE, identitynamespace:<project>.svc.id.goog:"
              + "https://container.googleapis.com/v1/projects/<project>/locations/<location>/"
              + "clusters/<cluster>");
    }
    Optional<String> configured = GcpConfig.audience(settings).or(defaults::audience);
    Optional<String> audience = configured.or(() -> Optional.of(defaultAudience(provider.get())));
    boolean eitherPoolAudience = configured.isEmpty()
        && !GcpConfig.GKE_IDENTITY_NAMESPACE.matcher(provider.get()).matches();
    Optional<String> serviceAccount = GcpConfig.serviceAccount(settings)
        .or(defaults::serviceAccount);
    List<String> delegates =
        settings.has(DELEGATES) ? GcpConfig.delegates(settings) : defaults.delegates();
    if (!delegates.isEmpty() && serviceAccount.isEmpty()) {
      throw BackendException.invalid(
          "delegates are set but no serviceAccount to impersonate; set the volume attribute "
              + SERVICE_ACCOUNT + " or remove " + DELEGATES);
    }
    boolean chosen = settings.has(SERVICE_ACCOUNT) || settings.has(DELEGATES);
    return new GcpVolume(
        secrets, auth, audience, provider, serviceAccount, delegates, remote, chosen, ignored,
        eitherPoolAudience);
  }

  /**
   * Refuses a location outside the operator's allow-list before anything connects, and returns
   * the regional endpoint the volume chooses, if locations choose endpoints at all.
   */
  private static Optional<String> checkLocations(List<SecretObject> secrets, GcpConfig config)
      throws BackendException {
    Optional<String> remote = Optional.empty();
    for (int i = 0; i < secrets.size(); i++) {
      Optional<String> location = secrets.get(i).resource().location();
      if (location.isEmpty()) {
        continue;
      }
      if (!config.allowsLocation(location.get())) {
        throw new BackendException(BackendException.Kind.PERMISSION_DENIED,
            "volume attribute secrets[" + i + "].resourceName names location \"" + location.get()
                + "\", which gcp.properties key " + GcpConfig.ALLOWED_LOCATIONS + " does not allow"
                + " (by default Google Cloud's regions); use a listed location, or ask the cluster"
                + " admin to add it; nothing was read");
      }
      if (remote.isEmpty() && config.locationChoosesEndpoint()) {
        remote = Optional.of("https://" + config.endpointFor(location));
      }
    }
    return remote;
  }

  /**
   * The pod token audience a provider expects when none is configured: the identity namespace for
   * GKE's form, and the provider's https resource URL, Workload Identity Federation's default
   * allowed audience, for a pool provider.
   */
  static String defaultAudience(String workloadIdentityProvider) {
    var gke = GcpConfig.GKE_IDENTITY_NAMESPACE.matcher(workloadIdentityProvider);
    return gke.matches() ? gke.group(1) : "https:" + workloadIdentityProvider;
  }

  private static Auth auth(Settings settings) throws BackendException {
    Optional<String> value = GcpConfig.stripped(settings, AUTH);
    if (value.isEmpty()) {
      return Auth.POD_ADC;
    }
    String auth = value.get().toLowerCase(Locale.ROOT);
    for (Auth candidate : Auth.values()) {
      if (candidate.attributeValue.equals(auth)) {
        return candidate;
      }
    }
    throw settings.invalid(AUTH, value.get(), "use pod-adc (the default) or provider-adc");
  }
}
