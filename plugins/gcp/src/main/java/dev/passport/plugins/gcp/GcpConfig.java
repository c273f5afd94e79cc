package dev.passport.plugins.gcp;

import dev.passport.api.BackendException;
import dev.passport.support.KubernetesAccess;
import dev.passport.support.Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The plugin configuration ({@code gcp.properties}), bound and validated.
 *
 * @param defaults volume settings used when a volume does not set them
 * @param allowProviderAdc whether volumes may use {@code auth: provider-adc}, the driver's own
 *     identity instead of the pod's
 * @param stsTokenUrl the Security Token Service token endpoint (https)
 * @param iamCredentialsUrl the IAM Credentials API base URL (https), for impersonation
 * @param secretManagerEndpoint {@code host:port} of the global Secret Manager endpoint
 * @param regionalEndpointTemplate {@code host:port} of a regional endpoint, {@code {location}}
 *     replaced by the secret's location
 * @param allowedLocations the locations whose regional endpoint a volume may use, or
 *     {@code [*]} for any; a volume's resource names choose the location, so this is the
 *     operator's allow-list for the one address a volume chooses
 * @param caBundle PEM file of CA certificates to trust instead of the JVM's, for private endpoints
 * @param pinnedRefreshInterval how long material made only of pinned numeric versions is kept
 * @param impersonationLifetime the lifetime asked for impersonated access tokens
 * @param kubernetes how to read the pods' service account annotations, if they are read
 */
record GcpConfig(
    VolumeDefaults defaults,
    boolean allowProviderAdc,
    String stsTokenUrl,
    String iamCredentialsUrl,
    String secretManagerEndpoint,
    String regionalEndpointTemplate,
    Set<String> allowedLocations,
    Optional<Path> caBundle,
    Duration pinnedRefreshInterval,
    Duration impersonationLifetime,
    Optional<KubernetesAccess> kubernetes) {

  static final String FILE = "gcp.properties";
  static final String AUDIENCE = "audience";
  static final String WORKLOAD_IDENTITY_PROVIDER = "workloadIdentityProvider";
  static final String SERVICE_ACCOUNT = "serviceAccount";
  static final String DELEGATES = "delegates";
  static final String ALLOW_PROVIDER_ADC = "allowProviderAdc";
  static final String STS_TOKEN_URL = "stsTokenUrl";
  static final String IAM_CREDENTIALS_URL = "iamCredentialsUrl";
  static final String SECRET_MANAGER_ENDPOINT = "secretManagerEndpoint";
  static final String REGIONAL_ENDPOINT_TEMPLATE = "regionalEndpointTemplate";
  static final String ALLOWED_LOCATIONS = "allowedLocations";
  static final String CA_BUNDLE = "caBundle";
  static final String PINNED_REFRESH_INTERVAL = "pinnedRefreshInterval";
  static final String IMPERSONATION_LIFETIME = "impersonationLifetime";

  static final String DEFAULT_STS_TOKEN_URL = "https://sts.googleapis.com/v1/token";
  static final String DEFAULT_IAM_CREDENTIALS_URL = "https://iamcredentials.googleapis.com";
  static final String DEFAULT_SECRET_MANAGER_ENDPOINT = "secretmanager.googleapis.com:443";
  static final String DEFAULT_REGIONAL_ENDPOINT_TEMPLATE =
      "secretmanager.{location}.rep.googleapis.com:443";
  static final String LOCATION_PLACEHOLDER = "{location}";
  static final String ANY_LOCATION = "*";
  /**
   * Google Cloud's regions (2025), where Secret Manager has its regional endpoints: a volume's
   * location can only ever name one of Google's hosts, and the plugin keeps one client per
   * location, so the list also bounds how many clients volumes can make it open.
   */
  static final Set<String> GOOGLE_REGIONS = Set.of(
      "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2",
      "asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2",
      "australia-southeast1", "australia-southeast2", "europe-central2", "europe-north1",
      "europe-north2", "europe-southwest1", "europe-west1", "europe-west2", "europe-west3",
      "europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10",
      "europe-west12", "me-central1", "me-central2", "me-west1", "northamerica-northeast1",
      "northamerica-northeast2", "northamerica-south1", "southamerica-east1",
      "southamerica-west1", "us-central1", "us-east1", "us-east4", "us-east5", "us-south1",
      "us-west1", "us-west2", "us-west3", "us-west4");
  static final Duration DEFAULT_PINNED_REFRESH_INTERVAL = Duration.ofHours(24);
  static final Duration DEFAULT_IMPERSONATION_LIFETIME = Duration.ofHours(1);
  // the IAM Credentials API accepts 1 s to 12 h (12 h needs an org policy exception)
  static final Duration MAX_IMPERSONATION_LIFETIME = Duration.ofHours(12);

  private static final Pattern HOST_PORT =
      Pattern.compile("[A-Za-z0-9.{}\\-]+:[0-9]{1,5}|\\[[0-9A-Fa-f:]+\\]:[0-9]{1,5}");
  // ResourceName's location alphabet: one DNS label, so a location never adds a dot to a host
  private static final Pattern LOCATION = Pattern.compile("[a-z0-9-]+");
  // {location} followed by at least two fixed labels: the operator's domain, which a one-label
  // location cannot leave
  private static final Pattern PINNED_DOMAIN = Pattern.compile(
      "[A-Za-z0-9.\\-]*\\{location}(\\.[A-Za-z0-9\\-]+){2,}:[0-9]{1,5}");
  private static final Pattern WORKLOAD_IDENTITY_POOL_PROVIDER =
      Pattern.compile(
          "//iam\\.googleapis\\.com/projects/[^/\\s]+/locations/[^/\\s]+/workloadIdentityPools/"
              + "[^/\\s]+/providers/[^/\\s]+");
  static final Pattern GKE_IDENTITY_NAMESPACE =
      Pattern.compile("identitynamespace:([^:\\s]+):\\S+");
  // the service account becomes a path segment of the IAM Credentials URL: no '/', '?', '#' and
  // no '%' (percent-encoded ones), so a volume can change neither the host nor the API called
  private static final Pattern SERVICE_ACCOUNT_ID =
      Pattern.compile("[A-Za-z0-9._+\\-]+@[A-Za-z0-9.\\-]+|[0-9]+");
  private static final Pattern DELEGATE_RESOURCE =
      Pattern.compile("projects/-/serviceAccounts/([^/\\s]+)");

  /** Volume settings that may come from the plugin config or from a volume's attributes. */
  record VolumeDefaults(
      Optional<String> audience,
      Optional<String> workloadIdentityProvider,
      Optional<String> serviceAccount,
      List<String> delegates) {

    static final VolumeDefaults NONE =
        new VolumeDefaults(Optional.empty(), Optional.empty(), Optional.empty(), List.of());

    VolumeDefaults {
      delegates = List.copyOf(delegates);
    }
  }

  /** The configuration of a plugin without a config file: Google's public endpoints. */
  static GcpConfig googleDefaults() {
    return new GcpConfig(
        VolumeDefaults.NONE,
        false,
        DEFAULT_STS_TOKEN_URL,
        DEFAULT_IAM_CREDENTIALS_URL,
        DEFAULT_SECRET_MANAGER_ENDPOINT,
        DEFAULT_REGIONAL_ENDPOINT_TEMPLATE,
        GOOGLE_REGIONS,
        Optional.empty(),
        DEFAULT_PINNED_REFRESH_INTERVAL,
        DEFAULT_IMPERSONATION_LIFETIME,
        Optional.empty());
  }

  /**
   * Binds {@code gcp.properties}.
   *
   * @throws BackendException of kind INVALID_ARGUMENT naming the first unknown or invalid key
   */
  static GcpConfig parse(Map<String, String> config) throws BackendException {
    return parse(config, System.getenv());
  }

  /** Binds {@code gcp.properties} in a driver whose environment is {@code environment}. */
  static GcpConfig parse(Map<String, String> config, Map<String, String> environment)
      throws BackendException {
    Settings settings = Settings.config(FILE, config);
    // unknown keys are refused before any value is judged
    settings.known(AUDIENCE, WORKLOAD_IDENTITY_PROVIDER, SERVICE_ACCOUNT, DELEGATES,
        ALLOW_PROVIDER_ADC, STS_TOKEN_URL, IAM_CREDENTIALS_URL, SECRET_MANAGER_ENDPOINT,
        REGIONAL_ENDPOINT_TEMPLATE, ALLOWED_LOCATIONS, CA_BUNDLE, PINNED_REFRESH_INTERVAL,
        IMPERSONATION_LIFETIME)
        .known(KubernetesAccess.keys())
        .rejectUnknown();
    VolumeDefaults defaults =
        new VolumeDefaults(
            audience(settings),
            workloadIdentityProvider(settings),
            serviceAccount(settings),
            settings.has(DELEGATES) ? delegates(settings) : List.of());
    String regionalTemplate =
        hostPort(settings, REGIONAL_ENDPOINT_TEMPLATE, DEFAULT_REGIONAL_ENDPOINT_TEMPLATE);
    return new GcpConfig(
        defaults,
        settings.bool(ALLOW_PROVIDER_ADC, false),
        httpsUrl(settings, STS_TOKEN_URL, DEFAULT_STS_TOKEN_URL),
        stripTrailingSlash(httpsUrl(settings, IAM_CREDENTIALS_URL, DEFAULT_IAM_CREDENTIALS_URL)),
        hostPort(settings, SECRET_MANAGER_ENDPOINT, DEFAULT_SECRET_MANAGER_ENDPOINT),
        regionalTemplate,
        allowedLocations(settings, regionalTemplate),
        caBundle(settings),
        settings.positiveDuration(PINNED_REFRESH_INTERVAL, DEFAULT_PINNED_REFRESH_INTERVAL),
        impersonationLifetime(settings),
        KubernetesAccess.parse(settings, environment));
  }

  /** The endpoint serving secrets of {@code location}, or the global one when empty. */
  String endpointFor(Optional<String> location) {
    return location.map(l -> regionalEndpointTemplate.replace("{location}", l))
        .orElse(secretManagerEndpoint);
  }

  /** Whether volumes may read secrets of {@code location} (through its regional endpoint). */
  boolean allowsLocation(String location) {
    return allowedLocations.contains(ANY_LOCATION) || allowedLocations.contains(location);
  }

  /** Whether a secret's location chooses the regional endpoint's host, or all share one. */
  boolean locationChoosesEndpoint() {
    return regionalEndpointTemplate.contains(LOCATION_PLACEHOLDER);
  }

  /** The IAM Credentials {@code generateAccessToken} URL of a Google service account. */
  String generateAccessTokenUrl(String serviceAccount) {
    return iamCredentialsUrl + "/v1/projects/-/serviceAccounts/" + serviceAccount
        + ":generateAccessToken";
  }

  // The four identity keys mean the same in gcp.properties and in volume attributes, so both
  // read them through these.

  /** The value of {@code key} without surrounding blanks, if set. */
  static Optional<String> stripped(Settings settings, String key) {
    return settings.optional(key).map(String::strip);
  }

  static Optional<String> audience(Settings settings) throws BackendException {
    Optional<String> audience = stripped(settings, AUDIENCE);
    if (audience.isPresent() && audience.get().chars().anyMatch(Character::isWhitespace)) {
      throw settings.invalid(AUDIENCE, audience.get(), "an audience must not contain spaces");
    }
    return audience;
  }

  static Optional<String> workloadIdentityProvider(Settings settings) throws BackendException {
    Optional<String> provider = stripped(settings, WORKLOAD_IDENTITY_PROVIDER);
    if (provider.isPresent()
        && !WORKLOAD_IDENTITY_POOL_PROVIDER.matcher(provider.get()).matches()
        && !GKE_IDENTITY_NAMESPACE.matcher(provider.get()).matches()) {
      throw settings.invalid(WORKLOAD_IDENTITY_PROVIDER, provider.get(),
          "use //iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/"
              + "<pool>/providers/<provider> or identitynamespace:<project>.svc.id.goog:"
              + "<cluster URL>");
    }
    return provider;
  }

  static Optional<String> serviceAccount(Settings settings) throws BackendException {
    Optional<String> serviceAccount = stripped(settings, SERVICE_ACCOUNT);
    if (serviceAccount.isPresent()) {
      checkServiceAccount(settings, SERVICE_ACCOUNT, serviceAccount.get());
    }
    return serviceAccount;
  }

  /**
   * The delegation chain: a comma-separated list or a YAML flow list of service account emails or
   * {@code projects/-/serviceAccounts/<email>} names, returned in the latter form, which is what
   * the IAM Credentials API expects.
   */
  static List<String> delegates(Settings settings) throws BackendException {
    String value = stripped(settings, DELEGATES).orElse("");
    List<String> raw = new ArrayList<>();
    if (value.startsWith("[")) {
      Optional<Node> parsed;
      try {
        parsed = GoYaml.compose(value);
      } catch (YAMLException e) {
        throw settings.invalid(DELEGATES, value,
            "write a YAML list of service account emails: " + SecretsAttribute.firstLine(e));
      }
      if (parsed.isEmpty() || !(parsed.get() instanceof SequenceNode list)) {
        throw settings.invalid(DELEGATES, value, "write a list of service account emails");
      }
      for (Node item : list.getValue()) {
        if (!(item instanceof ScalarNode s)) {
          throw settings.invalid(DELEGATES, value,
              "write a list of service account emails; found a nested list or mapping");
        }
        raw.add(s.getValue().strip());
      }
    } else {
      raw.addAll(settings.list(DELEGATES));
    }
    List<String> delegates = new ArrayList<>();
    for (String item : raw) {
      var resource = DELEGATE_RESOURCE.matcher(item);
      String email = resource.matches() ? resource.group(1) : item;
      checkServiceAccount(settings, DELEGATES, email);
      delegates.add("projects/-/serviceAccounts/" + email);
    }
    return delegates;
  }

  /** Whether {@code id} can only ever be one path segment of the IAM Credentials URL. */
  static boolean isServiceAccountId(String id) {
    return SERVICE_ACCOUNT_ID.matcher(id).matches();
  }

  private static void checkServiceAccount(Settings settings, String key, String serviceAccount)
      throws BackendException {
    if (!isServiceAccountId(serviceAccount)) {
      throw settings.invalid(key, serviceAccount,
          "give a Google service account email such as reader@<project>.iam.gserviceaccount.com");
    }
  }

  private static String httpsUrl(Settings settings, String key, String fallback)
      throws BackendException {
    String value = stripped(settings, key).orElse(fallback);
    URI uri;
    try {
      uri = URI.create(value);
    } catch (IllegalArgumentException e) {
      throw settings.invalid(key, value, "write an https URL, e.g. " + fallback);
    }
    // google-auth-library refuses anything but https for token and impersonation URLs
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw BackendException.invalid(settings.describe(key) + " must be an https URL with a host,"
          + " e.g. " + fallback + "; got \"" + value + "\"");
    }
    return value;
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static String hostPort(Settings settings, String key, String fallback)
      throws BackendException {
    String value = stripped(settings, key).orElse(fallback);
    if (!HOST_PORT.matcher(value).matches()) {
      throw settings.invalid(key, value, "write host:port without a scheme, e.g. " + fallback);
    }
    return value;
  }

  /**
   * The locations volumes may use. {@code *} (any) is accepted only when the template keeps the
   * location inside a domain of the operator's: with {@code {location}:443} a volume would choose
   * the whole host (a node-local name, the metadata server).
   */
  private static Set<String> allowedLocations(Settings settings, String regionalTemplate)
      throws BackendException {
    if (!settings.has(ALLOWED_LOCATIONS)) {
      return GOOGLE_REGIONS;
    }
    List<String> listed = settings.list(ALLOWED_LOCATIONS);
    String value = settings.optional(ALLOWED_LOCATIONS).orElse("");
    if (listed.isEmpty()) {
      throw settings.invalid(ALLOWED_LOCATIONS, value,
          "list the locations volumes may read regional secrets from, e.g. europe-west1,us-east1,"
              + " or leave the key out for Google Cloud's regions");
    }
    if (listed.contains(ANY_LOCATION)) {
      if (listed.size() > 1) {
        throw settings.invalid(ALLOWED_LOCATIONS, value, "* stands alone: any location");
      }
      if (regionalTemplate.contains(LOCATION_PLACEHOLDER)
          && !PINNED_DOMAIN.matcher(regionalTemplate).matches()) {
        throw settings.invalid(ALLOWED_LOCATIONS, value,
            "* would let a volume's location choose the host of " + REGIONAL_ENDPOINT_TEMPLATE
                + " (" + regionalTemplate + "); list the locations, or put {location} in front"
                + " of a domain, e.g. secretmanager.{location}.rep.googleapis.com:443");
      }
      return Set.of(ANY_LOCATION);
    }
    for (String location : listed) {
      if (!LOCATION.matcher(location).matches()) {
        throw settings.invalid(ALLOWED_LOCATIONS, value,
            "\"" + location + "\" is not a location id (lower-case letters, digits, -)");
      }
    }
    return Set.copyOf(listed);
  }

  private static Optional<Path> caBundle(Settings settings) throws BackendException {
    Optional<String> value = stripped(settings, CA_BUNDLE);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    Path path = Path.of(value.get());
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw settings.invalid(CA_BUNDLE, value.get(),
          "not a readable file; give a PEM file of CA certificates");
    }
    return Optional.of(path);
  }

  private static Duration impersonationLifetime(Settings settings) throws BackendException {
    Duration lifetime =
        settings.positiveDuration(IMPERSONATION_LIFETIME, DEFAULT_IMPERSONATION_LIFETIME);
    if (lifetime.compareTo(MAX_IMPERSONATION_LIFETIME) > 0 || lifetime.toSeconds() < 1) {
      throw settings.invalid(IMPERSONATION_LIFETIME,
          settings.optional(IMPERSONATION_LIFETIME).orElse(""),
          "the IAM Credentials API accepts 1s to 12h");
    }
    return lifetime;
  }
}
