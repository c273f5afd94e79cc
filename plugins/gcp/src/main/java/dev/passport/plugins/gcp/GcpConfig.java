package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;

import dev.passport.api.BackendException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

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
 * @param caBundle PEM file of CA certificates to trust instead of the JVM's, for private endpoints
 * @param pinnedRefreshInterval how long material made only of pinned numeric versions is kept
 * @param impersonationLifetime the lifetime asked for impersonated access tokens
 */
record GcpConfig(
    VolumeDefaults defaults,
    boolean allowProviderAdc,
    String stsTokenUrl,
    String iamCredentialsUrl,
    String secretManagerEndpoint,
    String regionalEndpointTemplate,
    Optional<Path> caBundle,
    Duration pinnedRefreshInterval,
    Duration impersonationLifetime) {

  static final String AUDIENCE = "audience";
  static final String WORKLOAD_IDENTITY_PROVIDER = "workloadIdentityProvider";
  static final String SERVICE_ACCOUNT = "serviceAccount";
  static final String DELEGATES = "delegates";
  static final String ALLOW_PROVIDER_ADC = "allowProviderAdc";
  static final String STS_TOKEN_URL = "stsTokenUrl";
  static final String IAM_CREDENTIALS_URL = "iamCredentialsUrl";
  static final String SECRET_MANAGER_ENDPOINT = "secretManagerEndpoint";
  static final String REGIONAL_ENDPOINT_TEMPLATE = "regionalEndpointTemplate";
  static final String CA_BUNDLE = "caBundle";
  static final String PINNED_REFRESH_INTERVAL = "pinnedRefreshInterval";
  static final String IMPERSONATION_LIFETIME = "impersonationLifetime";

  static final Set<String> KEYS =
      Set.of(
          AUDIENCE,
          WORKLOAD_IDENTITY_PROVIDER,
          SERVICE_ACCOUNT,
          DELEGATES,
          ALLOW_PROVIDER_ADC,
          STS_TOKEN_URL,
          IAM_CREDENTIALS_URL,
          SECRET_MANAGER_ENDPOINT,
          REGIONAL_ENDPOINT_TEMPLATE,
          CA_BUNDLE,
          PINNED_REFRESH_INTERVAL,
          IMPERSONATION_LIFETIME);

  static final String DEFAULT_STS_TOKEN_URL = "https://sts.googleapis.com/v1/token";
  static final String DEFAULT_IAM_CREDENTIALS_URL = "https://iamcredentials.googleapis.com";
  static final String DEFAULT_SECRET_MANAGER_ENDPOINT = "secretmanager.googleapis.com:443";
  static final String DEFAULT_REGIONAL_ENDPOINT_TEMPLATE =
      "secretmanager.{location}.rep.googleapis.com:443";
  static final Duration DEFAULT_PINNED_REFRESH_INTERVAL = Duration.ofHours(24);
  static final Duration DEFAULT_IMPERSONATION_LIFETIME = Duration.ofHours(1);

  private static final Pattern HOST_PORT =
      Pattern.compile("[A-Za-z0-9.{}\\-]+:[0-9]{1,5}|\\[[0-9A-Fa-f:]+\\]:[0-9]{1,5}");

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
        Optional.empty(),
        DEFAULT_PINNED_REFRESH_INTERVAL,
        DEFAULT_IMPERSONATION_LIFETIME);
  }

  /**
   * Binds {@code gcp.properties}.
   *
   * @throws BackendException of kind INVALID_ARGUMENT naming the first unknown or invalid key
   */
  static GcpConfig parse(Map<String, String> config) throws BackendException {
    try {
      return parseUnchecked(config);
    } catch (VolumeSettings.IllegalAttributeException e) {
      throw e.toBackendException();
    }
  }

  private static GcpConfig parseUnchecked(Map<String, String> config) throws BackendException {
    Set<String> unknown = new TreeSet<>(config.keySet());
    unknown.removeAll(KEYS);
    if (!unknown.isEmpty()) {
      throw invalid(
          "unknown key(s) " + unknown + " in gcp.properties; known keys are " + new TreeSet<>(KEYS));
    }
    VolumeDefaults defaults =
        new VolumeDefaults(
            value(config, AUDIENCE).map(v -> VolumeSettings.checkAudience(v, "gcp.properties")),
            value(config, WORKLOAD_IDENTITY_PROVIDER),
            value(config, SERVICE_ACCOUNT),
            value(config, DELEGATES).isPresent()
                ? VolumeSettings.parseDelegates(
                    config.get(DELEGATES), "gcp.properties key " + DELEGATES)
                : List.of());
    if (defaults.workloadIdentityProvider().isPresent()) {
      VolumeSettings.checkWorkloadIdentityProvider(
          defaults.workloadIdentityProvider().get(), "gcp.properties key " + WORKLOAD_IDENTITY_PROVIDER);
    }
    if (defaults.serviceAccount().isPresent()) {
      VolumeSettings.checkServiceAccount(
          defaults.serviceAccount().get(), "gcp.properties key " + SERVICE_ACCOUNT);
    }
    return new GcpConfig(
        defaults,
        parseBoolean(config, ALLOW_PROVIDER_ADC, false),
        httpsUrl(config, STS_TOKEN_URL, DEFAULT_STS_TOKEN_URL),
        stripTrailingSlash(httpsUrl(config, IAM_CREDENTIALS_URL, DEFAULT_IAM_CREDENTIALS_URL)),
        hostPort(config, SECRET_MANAGER_ENDPOINT, DEFAULT_SECRET_MANAGER_ENDPOINT),
        hostPort(config, REGIONAL_ENDPOINT_TEMPLATE, DEFAULT_REGIONAL_ENDPOINT_TEMPLATE),
        caBundle(config),
        duration(config, PINNED_REFRESH_INTERVAL, DEFAULT_PINNED_REFRESH_INTERVAL),
        impersonationLifetime(config));
  }

  /** The endpoint serving secrets of {@code location}, or the global one when empty. */
  String endpointFor(Optional<String> location) {
    return location.map(l -> regionalEndpointTemplate.replace("{location}", l))
        .orElse(secretManagerEndpoint);
  }

  /** The IAM Credentials {@code generateAccessToken} URL of a Google service account. */
  String generateAccessTokenUrl(String serviceAccount) {
    return iamCredentialsUrl + "/v1/projects/-/serviceAccounts/" + serviceAccount
        + ":generateAccessToken";
  }

  private static Optional<String> value(Map<String, String> config, String key) {
    String value = config.get(key);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  private static boolean parseBoolean(Map<String, String> config, String key, boolean fallback)
      throws BackendException {
    Optional<String> value = value(config, key);
    if (value.isEmpty()) {
      return fallback;
    }
    return switch (value.get().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw invalid(
          "gcp.properties key " + key + " is \"" + value.get() + "\"; use true or false");
    };
  }

  private static String httpsUrl(Map<String, String> config, String key, String fallback)
      throws BackendException {
    String value = value(config, key).orElse(fallback);
    URI uri;
    try {
      uri = URI.create(value);
    } catch (IllegalArgumentException e) {
      throw invalid("gcp.properties key " + key + " is not a URL: \"" + value + "\"");
    }
    // google-auth-library refuses anything but https for token and impersonation URLs
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw invalid(
          "gcp.properties key " + key + " must be an https URL with a host, e.g. " + fallback
              + "; got \"" + value + "\"");
    }
    return value;
  }

  private static String stripTrailingSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static String hostPort(Map<String, String> config, String key, String fallback)
      throws BackendException {
    String value = value(config, key).orElse(fallback);
    if (!HOST_PORT.matcher(value).matches()) {
      throw invalid(
          "gcp.properties key " + key + " must be host:port without a scheme, e.g. " + fallback
              + "; got \"" + value + "\"");
    }
    return value;
  }

  private static Optional<Path> caBundle(Map<String, String> config) throws BackendException {
    Optional<String> value = value(config, CA_BUNDLE);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    Path path = Path.of(value.get());
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw invalid(
          "gcp.properties key " + CA_BUNDLE + " names " + path
              + ", which is not a readable file; give a PEM file of CA certificates");
    }
    return Optional.of(path);
  }

  private static Duration duration(Map<String, String> config, String key, Duration fallback)
      throws BackendException {
    Optional<String> value = value(config, key);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      Duration duration = Duration.parse(value.get());
      if (duration.isNegative() || duration.isZero()) {
        throw invalid("gcp.properties key " + key + " must be positive; got " + value.get());
      }
      return duration;
    } catch (DateTimeParseException e) {
      throw invalid(
          "gcp.properties key " + key + " is \"" + value.get()
              + "\"; use an ISO-8601 duration such as PT24H");
    }
  }

  private static Duration impersonationLifetime(Map<String, String> config)
      throws BackendException {
    Duration lifetime = duration(config, IMPERSONATION_LIFETIME, DEFAULT_IMPERSONATION_LIFETIME);
    // the IAM Credentials API accepts 1 s to 12 h (12 h needs an org policy exception)
    if (lifetime.compareTo(Duration.ofHours(12)) > 0 || lifetime.toSeconds() < 1) {
      throw invalid(
          "gcp.properties key " + IMPERSONATION_LIFETIME + " must be between PT1S and PT12H; got "
              + lifetime);
    }
    return lifetime;
  }

  private static BackendException invalid(String message) {
    return new BackendException(INVALID_ARGUMENT, message);
  }
}
