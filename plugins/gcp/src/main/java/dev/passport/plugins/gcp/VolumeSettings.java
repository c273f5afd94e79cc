package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;

import dev.passport.api.BackendException;
import dev.passport.plugins.gcp.SecretObject.Extraction;
import dev.passport.plugins.gcp.SecretObject.Format;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A volume's attributes, validated and merged with the plugin defaults. The attribute names are
 * those of secrets-store-csi-driver-provider-gcp's SecretProviderClass parameters, so that its
 * users can move their {@code parameters} into {@code volumeAttributes} unchanged.
 *
 * @param secrets what to read, in the order given
 * @param auth whose identity reads it
 * @param audience the audience of the pod token handed to STS (empty with provider-adc)
 * @param workloadIdentityProvider the STS audience (empty with provider-adc)
 * @param serviceAccount a Google service account to impersonate
 * @param delegates the delegation chain for impersonation, as IAM resource names
 */
record VolumeSettings(
    List<SecretObject> secrets,
    Auth auth,
    Optional<String> audience,
    Optional<String> workloadIdentityProvider,
    Optional<String> serviceAccount,
    List<String> delegates) {

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
  static final Set<String> ATTRIBUTES =
      Set.of(
          SECRETS,
          AUTH,
          GcpConfig.AUDIENCE,
          GcpConfig.WORKLOAD_IDENTITY_PROVIDER,
          GcpConfig.SERVICE_ACCOUNT,
          GcpConfig.DELEGATES);

  static final String RESOURCE_NAME = "resourceName";
  static final String PATH = "path";
  static final String FILE_NAME = "fileName";
  static final String MODE = "mode";
  static final String EXTRACT_JSON_KEY = "extractJSONKey";
  static final String EXTRACT_YAML_KEY = "extractYAMLKey";
  static final Set<String> SECRET_FIELDS =
      Set.of(RESOURCE_NAME, PATH, FILE_NAME, MODE, EXTRACT_JSON_KEY, EXTRACT_YAML_KEY);

  static final int MAX_SECRETS = 100;

  private static final Pattern WORKLOAD_IDENTITY_POOL_PROVIDER =
      Pattern.compile(
          "//iam\\.googleapis\\.com/projects/[^/\\s]+/locations/[^/\\s]+/workloadIdentityPools/"
              + "[^/\\s]+/providers/[^/\\s]+");
  private static final Pattern GKE_IDENTITY_NAMESPACE =
      Pattern.compile("identitynamespace:([^:\\s]+):\\S+");
  private static final Pattern SERVICE_ACCOUNT_ID =
      Pattern.compile("[A-Za-z0-9._%+\\-]+@[A-Za-z0-9.\\-]+|[0-9]+");
  private static final Pattern DELEGATE_RESOURCE =
      Pattern.compile("projects/-/serviceAccounts/([^/\\s]+)");
  private static final Pattern OCTAL_MODE = Pattern.compile("0o?([0-7]{1,4})");

  VolumeSettings {
    secrets = List.copyOf(secrets);
    delegates = List.copyOf(delegates);
  }

  /** Whether every secret names a numeric version, whose content never changes. */
  boolean allPinned() {
    return secrets.stream().allMatch(s -> s.resource().pinned());
  }

  private static VolumeSettings parseUnchecked(Map<String, String> attributes, GcpConfig config)
      throws BackendException {
    Set<String> unknown = new TreeSet<>(attributes.keySet());
    unknown.removeAll(ATTRIBUTES);
    if (!unknown.isEmpty()) {
      throw invalid(
          "unknown volume attribute(s) " + unknown + " for backend gcp; known attributes are "
              + new TreeSet<>(ATTRIBUTES));
    }
    List<SecretObject> secrets = parseSecrets(attribute(attributes, SECRETS).orElseThrow(
        () -> invalid(
            "volume attribute " + SECRETS + " is missing; give a YAML list such as"
                + " '- resourceName: projects/<project>/secrets/<secret>/versions/latest\\n"
                + "  path: <file>'")));
    Auth auth = parseAuth(attribute(attributes, AUTH));
    if (auth == Auth.PROVIDER_ADC) {
      if (!config.allowProviderAdc()) {
        throw invalid(
            "volume attribute auth: provider-adc is refused: it would read secrets as the driver"
                + " instead of as the pod; use auth: pod-adc (the default), or ask the cluster"
                + " admin to set allowProviderAdc=true in gcp.properties");
      }
      for (String podOnly :
          List.of(GcpConfig.AUDIENCE, GcpConfig.WORKLOAD_IDENTITY_PROVIDER,
              GcpConfig.SERVICE_ACCOUNT, GcpConfig.DELEGATES)) {
        if (attribute(attributes, podOnly).isPresent()) {
          throw invalid(
              "volume attribute " + podOnly + " has no effect with auth: provider-adc; remove it");
        }
      }
      return new VolumeSettings(
          secrets, auth, Optional.empty(), Optional.empty(), Optional.empty(), List.of());
    }

    GcpConfig.VolumeDefaults defaults = config.defaults();
    Optional<String> provider =
        attribute(attributes, GcpConfig.WORKLOAD_IDENTITY_PROVIDER)
            .map(v -> checkWorkloadIdentityProvider(v, "volume attribute "
                + GcpConfig.WORKLOAD_IDENTITY_PROVIDER))
            .or(defaults::workloadIdentityProvider);
    if (provider.isEmpty()) {
      throw invalid(
          "volume attribute " + GcpConfig.WORKLOAD_IDENTITY_PROVIDER + " is missing and"
              + " gcp.properties sets no default; give the STS audience, e.g."
              + " //iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/"
              + "<pool>/providers/<provider> or, on GKE, identitynamespace:<project>.svc.id.goog:"
              + "https://container.googleapis.com/v1/projects/<project>/locations/<location>/"
              + "clusters/<cluster>");
    }
    Optional<String> audience =
        attribute(attributes, GcpConfig.AUDIENCE)
            .map(v -> checkAudience(v, "volume attribute"))
            .or(defaults::audience)
            .or(() -> defaultAudience(provider.get()));
    Optional<String> serviceAccount =
        attribute(attributes, GcpConfig.SERVICE_ACCOUNT)
            .map(v -> checkServiceAccount(v, "volume attribute " + GcpConfig.SERVICE_ACCOUNT))
            .or(defaults::serviceAccount);
    List<String> delegates =
        attribute(attributes, GcpConfig.DELEGATES).isPresent()
            ? parseDelegates(attributes.get(GcpConfig.DELEGATES),
                "volume attribute " + GcpConfig.DELEGATES)
            : defaults.delegates();
    if (!delegates.isEmpty() && serviceAccount.isEmpty()) {
      throw invalid(
          "delegates are set but no serviceAccount to impersonate; set the volume attribute "
              + GcpConfig.SERVICE_ACCOUNT + " or remove " + GcpConfig.DELEGATES);
    }
    return new VolumeSettings(secrets, auth, audience, provider, serviceAccount, delegates);
  }

  /**
   * The pod token audience a provider expects when none is configured: the identity namespace for
   * GKE's form, and the provider's https resource URL, Workload Identity Federation's default
   * allowed audience, for a pool provider.
   */
  static Optional<String> defaultAudience(String workloadIdentityProvider) {
    var gke = GKE_IDENTITY_NAMESPACE.matcher(workloadIdentityProvider);
    if (gke.matches()) {
      return Optional.of(gke.group(1));
    }
    return Optional.of("https:" + workloadIdentityProvider);
  }

  static String checkAudience(String audience, String where) {
    if (audience.isBlank() || audience.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalAttributeException(
          where + " " + GcpConfig.AUDIENCE + " must be a non-empty audience without spaces");
    }
    return audience;
  }

  static String checkWorkloadIdentityProvider(String provider, String where) {
    if (!WORKLOAD_IDENTITY_POOL_PROVIDER.matcher(provider).matches()
        && !GKE_IDENTITY_NAMESPACE.matcher(provider).matches()) {
      throw new IllegalAttributeException(
          where + " is \"" + provider + "\"; use //iam.googleapis.com/projects/<number>/locations/"
              + "global/workloadIdentityPools/<pool>/providers/<provider> or"
              + " identitynamespace:<project>.svc.id.goog:<cluster URL>");
    }
    return provider;
  }

  static String checkServiceAccount(String serviceAccount, String where) {
    if (!SERVICE_ACCOUNT_ID.matcher(serviceAccount).matches()) {
      throw new IllegalAttributeException(
          where + " is \"" + serviceAccount + "\"; give a Google service account email such as"
              + " reader@<project>.iam.gserviceaccount.com");
    }
    return serviceAccount;
  }

  /**
   * Parses a delegation chain: a comma-separated list or a YAML flow list of service account
   * emails or {@code projects/-/serviceAccounts/<email>} names, returned in the latter form, which
   * is what the IAM Credentials API expects.
   */
  static List<String> parseDelegates(String value, String where) {
    List<String> raw = new ArrayList<>();
    String trimmed = value.trim();
    if (trimmed.startsWith("[")) {
      Object parsed;
      try {
        parsed = yaml().load(trimmed);
      } catch (YAMLException e) {
        throw new IllegalAttributeException(where + " is not a valid YAML list: " + firstLine(e));
      }
      if (!(parsed instanceof List<?> list)) {
        throw new IllegalAttributeException(where + " must be a list of service account emails");
      }
      for (Object item : list) {
        if (!(item instanceof String s)) {
          throw new IllegalAttributeException(
              where + " must be a list of service account emails; found " + item);
        }
        raw.add(s.trim());
      }
    } else {
      for (String item : trimmed.split(",")) {
        if (!item.isBlank()) {
          raw.add(item.trim());
        }
      }
    }
    List<String> delegates = new ArrayList<>();
    for (String item : raw) {
      var resource = DELEGATE_RESOURCE.matcher(item);
      String email = resource.matches() ? resource.group(1) : item;
      checkServiceAccount(email, where + " entry");
      delegates.add("projects/-/serviceAccounts/" + email);
    }
    return delegates;
  }

  private static List<SecretObject> parseSecrets(String yamlText) throws BackendException {
    Object parsed;
    try {
      parsed = yaml().load(yamlText);
    } catch (YAMLException e) {
      throw invalid("volume attribute " + SECRETS + " is not valid YAML: " + firstLine(e));
    }
    if (!(parsed instanceof List<?> items) || items.isEmpty()) {
      throw invalid(
          "volume attribute " + SECRETS + " must be a non-empty YAML list of {resourceName, path,"
              + " mode, extractJSONKey | extractYAMLKey}");
    }
    if (items.size() > MAX_SECRETS) {
      throw invalid(
          "volume attribute " + SECRETS + " lists " + items.size() + " secrets; at most "
              + MAX_SECRETS + " per volume");
    }
    List<SecretObject> secrets = new ArrayList<>();
    Set<String> paths = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      String where = SECRETS + "[" + i + "]";
      if (!(items.get(i) instanceof Map<?, ?> item)) {
        throw invalid(where + " must be a mapping with resourceName and path");
      }
      SecretObject secret = parseSecret(where, item);
      if (!paths.add(secret.path())) {
        throw invalid(where + ".path \"" + secret.path() + "\" is used by an earlier secret");
      }
      secrets.add(secret);
    }
    return secrets;
  }

  private static SecretObject parseSecret(String where, Map<?, ?> item) throws BackendException {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : item.entrySet()) {
      String key = String.valueOf(entry.getKey());
      if (!SECRET_FIELDS.contains(key)) {
        throw invalid(
            where + " has unknown field " + key + "; known fields are "
                + new TreeSet<>(SECRET_FIELDS));
      }
      fields.put(key, entry.getValue());
    }
    String name = requiredString(where, fields, RESOURCE_NAME);
    ResourceName resource = ResourceName.parse(name).orElseThrow(
        () -> invalid(
            where + "." + RESOURCE_NAME + " \"" + name + "\" must have the form "
                + ResourceName.FORMS));

    Optional<String> path = optionalString(where, fields, PATH);
    Optional<String> fileName = optionalString(where, fields, FILE_NAME);
    if (path.isPresent() && fileName.isPresent()) {
      throw invalid(where + " sets both path and fileName; keep path (fileName is its legacy name)");
    }
    String file = path.or(() -> fileName).orElseThrow(
        () -> invalid(where + " needs a path: the file name inside the volume"));
    checkPath(where + "." + (path.isPresent() ? PATH : FILE_NAME), file);

    Optional<String> jsonKey = optionalString(where, fields, EXTRACT_JSON_KEY);
    Optional<String> yamlKey = optionalString(where, fields, EXTRACT_YAML_KEY);
    if (jsonKey.isPresent() && yamlKey.isPresent()) {
      throw invalid(where + " sets both extractJSONKey and extractYAMLKey; keep one");
    }
    Optional<Extraction> extraction =
        jsonKey.map(k -> new Extraction(Format.JSON, k))
            .or(() -> yamlKey.map(k -> new Extraction(Format.YAML, k)));
    return new SecretObject(resource, file, parseMode(where, fields.get(MODE)), extraction);
  }

  private static OptionalInt parseMode(String where, Object value) throws BackendException {
    if (value == null) {
      return OptionalInt.empty();
    }
    int mode;
    if (value instanceof Integer number) {
      // YAML 1.1 reads an unquoted 0440 as octal already, as provider-gcp's go-yaml does
      mode = number;
    } else if (value instanceof String text && OCTAL_MODE.matcher(text.trim()).matches()) {
      mode = Integer.parseInt(text.trim().replaceFirst("^0o?", ""), 8);
    } else {
      throw invalid(
          where + "." + MODE + " is \"" + value + "\"; use octal permission bits such as 0440");
    }
    if (mode < 0 || mode > 0777) {
      throw invalid(
          where + "." + MODE + " is " + Integer.toOctalString(mode)
              + " (octal); it must be within 0..0777, e.g. 0440");
    }
    return OptionalInt.of(mode);
  }

  private static void checkPath(String where, String path) throws BackendException {
    boolean bad = path.startsWith("/") || path.endsWith("/") || path.contains("\\")
        || path.indexOf('\0') >= 0;
    for (String segment : path.split("/", -1)) {
      bad |= segment.isEmpty() || segment.equals(".") || segment.equals("..");
    }
    if (bad) {
      throw invalid(
          where + " \"" + path + "\" must be a relative path inside the volume, such as"
              + " db/password, without '..', '.', empty segments or backslashes");
    }
  }

  private static String requiredString(String where, Map<String, Object> fields, String key)
      throws BackendException {
    return optionalString(where, fields, key).orElseThrow(
        () -> invalid(where + " needs " + key));
  }

  private static Optional<String> optionalString(
      String where, Map<String, Object> fields, String key) throws BackendException {
    Object value = fields.get(key);
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof String text)) {
      throw invalid(where + "." + key + " must be a string; got " + value);
    }
    return text.isBlank() ? Optional.empty() : Optional.of(text.trim());
  }

  private static Auth parseAuth(Optional<String> value) throws BackendException {
    if (value.isEmpty()) {
      return Auth.POD_ADC;
    }
    String auth = value.get().toLowerCase(Locale.ROOT);
    for (Auth candidate : Auth.values()) {
      if (candidate.attributeValue.equals(auth)) {
        return candidate;
      }
    }
    throw invalid(
        "volume attribute " + AUTH + " is \"" + value.get() + "\"; use pod-adc (the default) or"
            + " provider-adc");
  }

  private static Optional<String> attribute(Map<String, String> attributes, String name) {
    String value = attributes.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    // attributes come from pod specs: refuse alias bombs and oversized documents
    options.setMaxAliasesForCollections(10);
    options.setCodePointLimit(256 * 1024);
    options.setAllowDuplicateKeys(false);
    return new Yaml(new SafeConstructor(options));
  }

  private static String firstLine(Exception e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static BackendException invalid(String message) {
    return new BackendException(INVALID_ARGUMENT, message);
  }

  /**
   * Carries an INVALID_ARGUMENT out of the lambdas of {@link #parse}; unwrapped by
   * {@link #parse} and {@link GcpConfig#parse}.
   */
  static final class IllegalAttributeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    IllegalAttributeException(String message) {
      super(message);
    }

    BackendException toBackendException() {
      return new BackendException(INVALID_ARGUMENT, getMessage());
    }
  }

  /**
   * Validates {@code attributes} and fills what they leave out from {@code config}.
   *
   * @throws BackendException of kind INVALID_ARGUMENT naming the bad attribute or field
   */
  static VolumeSettings parse(Map<String, String> attributes, GcpConfig config)
      throws BackendException {
    try {
      return parseUnchecked(attributes, config);
    } catch (IllegalAttributeException e) {
      throw e.toBackendException();
    }
  }
}
