package dev.passport.plugins.aws;

import dev.passport.api.BackendException;
import dev.passport.support.KubernetesAccess;
import dev.passport.support.Settings;
import dev.passport.support.TlsTrust;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The plugin configuration ({@code aws.properties}), bound and validated at startup. Every endpoint
 * is the operator's: volumes choose only a region, which must look like an AWS region id (one DNS
 * label) and be allowed here, so a pod can never choose a host.
 *
 * @param defaultRegion the region of volumes that set none (provider-aws reads the node's
 *     {@code topology.kubernetes.io/region} label instead, which Passport does not read)
 * @param allowedRegions the regions volumes may use, or {@code [*]} for any AWS region id
 * @param stsEndpoint the STS endpoint, {@code {region}} replaced by the volume's region
 * @param secretsManagerEndpoint the Secrets Manager endpoint template
 * @param ssmEndpoint the SSM endpoint template
 * @param podIdentityEndpoint the EKS Pod Identity agent's IPv4 credentials URL
 * @param podIdentityEndpointIpv6 the agent's IPv6 credentials URL
 * @param caBundle PEM file of CA certificates trusted in addition to the JDK's
 * @param maxObjects the most objects (plus jmesPath entries) one volume may list
 * @param maxResponseBytes the most bytes one AWS answer may have
 * @param requestTimeout how long one AWS call may take (also bounded by the fetch's deadline)
 * @param kubernetes how the IRSA role is read from the service account's
 *     {@code eks.amazonaws.com/role-arn} annotation (needs {@code get serviceaccounts}), when
 *     {@code serviceAccountAnnotations=true}
 */
record AwsConfig(
    Optional<String> defaultRegion,
    Set<String> allowedRegions,
    String stsEndpoint,
    String secretsManagerEndpoint,
    String ssmEndpoint,
    String podIdentityEndpoint,
    String podIdentityEndpointIpv6,
    Optional<Path> caBundle,
    int maxObjects,
    int maxResponseBytes,
    Duration requestTimeout,
    Optional<KubernetesAccess> kubernetes) {

  static final String FILE = "aws.properties";
  static final String REGION = "region";
  static final String ALLOWED_REGIONS = "allowedRegions";
  static final String STS_ENDPOINT = "stsEndpoint";
  static final String SECRETS_MANAGER_ENDPOINT = "secretsManagerEndpoint";
  static final String SSM_ENDPOINT = "ssmEndpoint";
  static final String POD_IDENTITY_ENDPOINT = "podIdentityEndpoint";
  static final String POD_IDENTITY_ENDPOINT_IPV6 = "podIdentityEndpointIpv6";
  static final String CA_BUNDLE = "caBundle";
  static final String MAX_OBJECTS = "maxObjects";
  static final String MAX_RESPONSE_BYTES = "maxResponseBytes";
  static final String REQUEST_TIMEOUT = "requestTimeout";
  static final String SERVICE_ACCOUNT_ANNOTATIONS = KubernetesAccess.SERVICE_ACCOUNT_ANNOTATIONS;
  static final String KUBERNETES_API = KubernetesAccess.KUBERNETES_API_SERVER;
  static final String KUBERNETES_TOKEN_FILE = KubernetesAccess.KUBERNETES_TOKEN_FILE;
  static final String KUBERNETES_CA_FILE = KubernetesAccess.KUBERNETES_CA_FILE;
  // aws.properties documents the key, with provider-aws's one minute
  static final String ANNOTATION_CACHE_TTL = KubernetesAccess.ANNOTATION_CACHE_TTL;
  static final Duration DEFAULT_ANNOTATION_CACHE_TTL = Duration.ofMinutes(1);

  static final String REGION_PLACEHOLDER = "{region}";
  static final String DEFAULT_STS = "https://sts.{region}.amazonaws.com";
  static final String DEFAULT_SECRETS_MANAGER = "https://secretsmanager.{region}.amazonaws.com";
  static final String DEFAULT_SSM = "https://ssm.{region}.amazonaws.com";
  // provider-aws's (credential_provider/pod_identity_credential_provider.go)
  static final String DEFAULT_POD_IDENTITY = "http://169.254.170.23/v1/credentials";
  static final String DEFAULT_POD_IDENTITY_IPV6 = "http://[fd00:ec2::23]/v1/credentials";
  static final String DEFAULT_KUBERNETES_API = "https://kubernetes.default.svc";
  static final int DEFAULT_MAX_OBJECTS = 100;
  // a Secrets Manager secret is at most 64 KiB, base64 in JSON about 88 KiB; ten SSM advanced
  // parameters of 8 KiB each fit many times over
  static final int DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;
  static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  static final String ANY_REGION = "*";

  /**
   * An AWS region id: two letters, words, a number ({@code us-east-1}, {@code us-gov-west-1},
   * {@code cn-northwest-1}): one DNS label, so it never adds a dot or a port to an endpoint.
   */
  static final Pattern REGION_ID = Pattern.compile("[a-z]{2}(-[a-z]{2,12}){1,3}-[0-9]{1,2}");

  static AwsConfig defaults() {
    try {
      return parse(Map.of());
    } catch (BackendException e) {
      throw new IllegalStateException(e);
    }
  }

  static AwsConfig parse(Map<String, String> config) throws BackendException {
    Settings settings = Settings.config(FILE, config);
    settings.known(REGION, ALLOWED_REGIONS, STS_ENDPOINT, SECRETS_MANAGER_ENDPOINT, SSM_ENDPOINT,
        POD_IDENTITY_ENDPOINT, POD_IDENTITY_ENDPOINT_IPV6, CA_BUNDLE, MAX_OBJECTS,
        MAX_RESPONSE_BYTES, REQUEST_TIMEOUT, SERVICE_ACCOUNT_ANNOTATIONS, KUBERNETES_API,
        KUBERNETES_TOKEN_FILE, KUBERNETES_CA_FILE, ANNOTATION_CACHE_TTL)
        .rejectUnknown();
    Optional<String> region = settings.optional(REGION).map(String::strip);
    if (region.isPresent() && !REGION_ID.matcher(region.get()).matches()) {
      throw settings.invalid(REGION, region.get(), "give an AWS region id such as us-east-1");
    }
    return new AwsConfig(
        region,
        allowedRegions(settings),
        endpoint(settings, STS_ENDPOINT, DEFAULT_STS, true),
        endpoint(settings, SECRETS_MANAGER_ENDPOINT, DEFAULT_SECRETS_MANAGER, true),
        endpoint(settings, SSM_ENDPOINT, DEFAULT_SSM, true),
        endpoint(settings, POD_IDENTITY_ENDPOINT, DEFAULT_POD_IDENTITY, false),
        endpoint(settings, POD_IDENTITY_ENDPOINT_IPV6, DEFAULT_POD_IDENTITY_IPV6, false),
        caBundle(settings),
        settings.integer(MAX_OBJECTS, DEFAULT_MAX_OBJECTS, 1, 1000),
        settings.integer(MAX_RESPONSE_BYTES, DEFAULT_MAX_RESPONSE_BYTES, 64 * 1024, 64 << 20),
        settings.positiveDuration(REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT),
        kubernetes(settings));
  }

  /** Whether the IRSA role may come from the service account's annotation. */
  boolean serviceAccountAnnotations() {
    return kubernetes.isPresent();
  }

  /**
   * aws.properties' Kubernetes keys, as documented there: read (and the API server checked) even
   * with the switch off; the API server defaults to {@code kubernetes.default.svc}; the CA file,
   * when readable, is the only CA the API server is checked against, else the JDK's.
   */
  private static Optional<KubernetesAccess> kubernetes(Settings settings)
      throws BackendException {
    URI apiServer = URI.create(endpoint(settings, KUBERNETES_API, DEFAULT_KUBERNETES_API, false));
    Path tokenFile = Path.of(settings.string(KUBERNETES_TOKEN_FILE,
        KubernetesAccess.IN_CLUSTER.resolve("token").toString()).strip());
    Path caFile = Path.of(settings.string(KUBERNETES_CA_FILE,
        KubernetesAccess.IN_CLUSTER.resolve("ca.crt").toString()).strip());
    Duration ttl = settings.positiveDuration(ANNOTATION_CACHE_TTL, DEFAULT_ANNOTATION_CACHE_TTL);
    if (!settings.bool(SERVICE_ACCOUNT_ANNOTATIONS, false)) {
      return Optional.empty();
    }
    TlsTrust trust = Files.isReadable(caFile)
        ? TlsTrust.only(caFile, FILE + " key " + KUBERNETES_CA_FILE) : TlsTrust.jdk();
    return Optional.of(new KubernetesAccess(apiServer, trust, tokenFile, ttl));
  }

  /** Whether volumes may use {@code region}. */
  boolean allowsRegion(String region) {
    return REGION_ID.matcher(region).matches()
        && (allowedRegions.contains(ANY_REGION) || allowedRegions.contains(region));
  }

  static URI resolve(String template, String region) {
    return URI.create(template.replace(REGION_PLACEHOLDER, region));
  }

  private static Set<String> allowedRegions(Settings settings) throws BackendException {
    if (!settings.has(ALLOWED_REGIONS)) {
      return Set.of(ANY_REGION);
    }
    List<String> listed = settings.list(ALLOWED_REGIONS);
    String value = settings.optional(ALLOWED_REGIONS).orElse("");
    if (listed.isEmpty() || listed.contains(ANY_REGION) && listed.size() > 1) {
      throw settings.invalid(ALLOWED_REGIONS, value,
          "list region ids, e.g. us-east-1,us-west-2, or * (the default) for any");
    }
    for (String region : listed) {
      if (!region.equals(ANY_REGION) && !REGION_ID.matcher(region).matches()) {
        throw settings.invalid(ALLOWED_REGIONS, value, "\"" + region + "\" is not a region id");
      }
    }
    return Set.copyOf(listed);
  }

  private static String endpoint(Settings settings, String key, String fallback,
      boolean mayHaveRegion) throws BackendException {
    String value = settings.optional(key).map(String::strip).orElse(fallback);
    URI uri;
    try {
      uri = URI.create(value.replace(REGION_PLACEHOLDER, "us-east-1"));
    } catch (IllegalArgumentException e) {
      throw settings.invalid(key, value, "write an http(s) URL, e.g. " + fallback);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
    if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw settings.invalid(key, value, "write an http(s) URL with a host, e.g. " + fallback);
    }
    if (!mayHaveRegion && value.contains(REGION_PLACEHOLDER)) {
      throw settings.invalid(key, value, REGION_PLACEHOLDER + " is not replaced in this key");
    }
    return value;
  }

  private static Optional<Path> caBundle(Settings settings) throws BackendException {
    Optional<String> value = settings.optional(CA_BUNDLE).map(String::strip);
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
}
