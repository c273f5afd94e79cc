package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultPluginConfig.invalid;

import dev.passport.api.BackendException;
import dev.passport.api.MaterialFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A volume's attributes: the {@code parameters} of hashicorp's vault-csi-provider, so that a
 * SecretProviderClass migrates by copying them into {@code volumeAttributes}.
 *
 * @param roleName the Vault role to log in with
 * @param address the Vault address
 * @param authMountPath the auth mount, e.g. {@code kubernetes} or {@code jwt}
 * @param namespace the Vault Enterprise namespace, if any
 * @param audience the pod token audience to log in with
 * @param tls TLS settings merged with the plugin's defaults
 * @param objects the files of the volume, in order
 * @param revokeOnUnpublish whether to revoke the volume's leases when it is unpublished
 */
record VaultAttributes(
    String roleName,
    String address,
    String authMountPath,
    Optional<String> namespace,
    String audience,
    TlsSettings tls,
    List<SecretObject> objects,
    boolean revokeOnUnpublish) {

  static final String ROLE_NAME = "roleName";
  static final String VAULT_ADDRESS = "vaultAddress";
  static final String AUTH_MOUNT_PATH = "vaultAuthMountPath";
  static final String KUBERNETES_MOUNT_PATH = "vaultKubernetesMountPath";
  static final String NAMESPACE = "vaultNamespace";
  static final String AUDIENCE = "audience";
  static final String CA_CERT_PATH = "vaultCACertPath";
  static final String CA_DIRECTORY = "vaultCADirectory";
  static final String TLS_SERVER_NAME = "vaultTLSServerName";
  static final String CLIENT_CERT_PATH = "vaultTLSClientCertPath";
  static final String CLIENT_KEY_PATH = "vaultTLSClientKeyPath";
  static final String SKIP_TLS_VERIFY = "vaultSkipTLSVerify";
  static final String OBJECTS = "objects";
  static final String REVOKE_ON_UNPUBLISH = "revokeOnUnpublish";

  static final String DEFAULT_AUDIENCE = "vault";

  private static final Set<String> KEYS = Set.of(ROLE_NAME, VAULT_ADDRESS, AUTH_MOUNT_PATH,
      KUBERNETES_MOUNT_PATH, NAMESPACE, AUDIENCE, CA_CERT_PATH, CA_DIRECTORY, TLS_SERVER_NAME,
      CLIENT_CERT_PATH, CLIENT_KEY_PATH, SKIP_TLS_VERIFY, OBJECTS, REVOKE_ON_UNPUBLISH);

  private static final Set<String> OBJECT_FIELDS = Set.of("objectName", "secretPath", "secretKey",
      "method", "secretArgs", "encoding", "filePermission");

  /**
   * Parses and checks the attributes strictly; every failure is INVALID_ARGUMENT naming the
   * attribute or {@code objects[i].field}.
   */
  static VaultAttributes parse(Map<String, String> attributes, VaultPluginConfig config)
      throws BackendException {
    Set<String> unknown = new TreeSet<>(attributes.keySet());
    unknown.removeAll(KEYS);
    if (!unknown.isEmpty()) {
      throw invalid("unknown volume attribute(s) " + unknown + " for backend vault; known are "
          + new TreeSet<>(KEYS));
    }
    String roleName = value(attributes, ROLE_NAME).orElseThrow(() -> invalid(
        "volume attribute " + ROLE_NAME + " is required: the Vault role to log in with"));

    Optional<String> address = value(attributes, VAULT_ADDRESS);
    if (address.isPresent()) {
      VaultPluginConfig.checkAddress(address.get(), "volume attribute " + VAULT_ADDRESS);
    }
    String resolvedAddress = address.map(VaultPluginConfig::stripTrailingSlash)
        .or(config::defaultAddress)
        .orElseThrow(() -> invalid("volume attribute " + VAULT_ADDRESS + " is not set and"
            + " vault.properties has no default " + VaultPluginConfig.ADDRESS));

    Optional<String> mount = value(attributes, AUTH_MOUNT_PATH);
    Optional<String> legacyMount = value(attributes, KUBERNETES_MOUNT_PATH);
    if (mount.isPresent() && legacyMount.isPresent()) {
      throw invalid("volume attributes " + AUTH_MOUNT_PATH + " and " + KUBERNETES_MOUNT_PATH
          + " are both set; " + KUBERNETES_MOUNT_PATH + " is the older name, set only "
          + AUTH_MOUNT_PATH);
    }
    String authMount = mount.or(() -> legacyMount)
        .map(VaultAttributes::authMount)
        .orElse(config.defaultAuthMountPath());
    if (authMount.isEmpty()) {
      throw invalid("volume attribute " + AUTH_MOUNT_PATH + " is empty after removing slashes");
    }

    Optional<String> namespace = value(attributes, NAMESPACE).map(VaultPluginConfig::trimSlashes)
        .filter(ns -> !ns.isEmpty());
    String audience = value(attributes, AUDIENCE).orElse(DEFAULT_AUDIENCE);

    boolean skipVerify = value(attributes, SKIP_TLS_VERIFY).isPresent()
        && VaultPluginConfig.parseBoolean(attributes.get(SKIP_TLS_VERIFY), "volume attribute " + SKIP_TLS_VERIFY);
    if (skipVerify && !config.allowSkipTlsVerify()) {
      throw invalid("volume attribute " + SKIP_TLS_VERIFY + "=true is refused: the node's vault"
          + " plugin configuration does not allow it (vault.properties "
          + VaultPluginConfig.ALLOW_SKIP_TLS_VERIFY + "=true); trust Vault's CA with "
          + CA_CERT_PATH + " instead");
    }
    TlsSettings tls = new TlsSettings(
        allowedPath(attributes, CA_CERT_PATH, config),
        allowedPath(attributes, CA_DIRECTORY, config),
        value(attributes, TLS_SERVER_NAME),
        allowedPath(attributes, CLIENT_CERT_PATH, config),
        allowedPath(attributes, CLIENT_KEY_PATH, config),
        skipVerify);
    if (tls.clientCertPath().isPresent() != tls.clientKeyPath().isPresent()) {
      throw invalid("volume attributes set only one of " + CLIENT_CERT_PATH + " and "
          + CLIENT_KEY_PATH + "; a client certificate needs both");
    }

    boolean revoke = value(attributes, REVOKE_ON_UNPUBLISH).isPresent()
        ? VaultPluginConfig.parseBoolean(attributes.get(REVOKE_ON_UNPUBLISH),
            "volume attribute " + REVOKE_ON_UNPUBLISH)
        : config.revokeOnUnpublish();

    return new VaultAttributes(roleName, resolvedAddress, authMount, namespace, audience,
        tls.orElse(config.tls()), objects(attributes.get(OBJECTS)), revoke);
  }

  private static String authMount(String value) {
    // vault-csi-provider accepts "kubernetes" as well as "auth/kubernetes"
    String mount = VaultPluginConfig.trimSlashes(value);
    return mount.startsWith("auth/") ? mount.substring("auth/".length()) : mount;
  }

  /**
   * A certificate or key path from an attribute: absolute and inside a directory the plugin
   * configuration allows, so that a pod cannot make the driver read node files.
   */
  private static Optional<String> allowedPath(
      Map<String, String> attributes, String key, VaultPluginConfig config) throws BackendException {
    Optional<String> value = value(attributes, key);
    if (value.isEmpty()) {
      return value;
    }
    Path path = Path.of(value.get());
    if (!path.isAbsolute()) {
      throw invalid("volume attribute " + key + " is \"" + value.get()
          + "\"; it must be an absolute path");
    }
    Path normalized = path.normalize();
    for (Path dir : config.allowedCertDirectories()) {
      // Path.startsWith compares whole segments: /etc/vault-certs2 is not inside /etc/vault-certs
      if (normalized.startsWith(dir) && resolvesInside(normalized, dir)) {
        return Optional.of(normalized.toString());
      }
    }
    throw invalid("volume attribute " + key + " is \"" + value.get() + "\", which is not inside"
        + " a directory the node's vault plugin configuration allows ("
        + VaultPluginConfig.ALLOWED_CERT_DIRECTORIES + "=" + config.allowedCertDirectories()
        + "); ask the cluster operator to allow its directory or mount the file there");
  }

  /** A symbolic link must not lead out of the allowed directory. */
  private static boolean resolvesInside(Path path, Path dir) {
    if (!Files.exists(path)) {
      return true;
    }
    try {
      return path.toRealPath().startsWith(dir.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  private static List<SecretObject> objects(String yaml) throws BackendException {
    if (yaml == null || yaml.isBlank()) {
      throw invalid("volume attribute " + OBJECTS + " is required: a YAML list of"
          + " {objectName, secretPath, secretKey, …}");
    }
    Object parsed;
    try {
      parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    } catch (YAMLException e) {
      throw invalid("volume attribute " + OBJECTS + " is not valid YAML: "
          + firstLine(e.getMessage()));
    }
    if (!(parsed instanceof List<?> list) || list.isEmpty()) {
      throw invalid("volume attribute " + OBJECTS + " must be a non-empty YAML list of"
          + " {objectName, secretPath, secretKey, …}");
    }
    List<SecretObject> objects = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String where = OBJECTS + "[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> entry)) {
        throw invalid("volume attribute " + where + " must be a map with objectName and secretPath");
      }
      SecretObject object = object(entry, where);
      if (!names.add(object.objectName())) {
        throw invalid("volume attribute " + where + ".objectName \"" + object.objectName()
            + "\" is used twice; each object needs its own file name");
      }
      objects.add(object);
    }
    return List.copyOf(objects);
  }

  private static SecretObject object(Map<?, ?> entry, String where) throws BackendException {
    Set<String> unknown = new TreeSet<>();
    for (Object key : entry.keySet()) {
      if (!OBJECT_FIELDS.contains(String.valueOf(key))) {
        unknown.add(String.valueOf(key));
      }
    }
    if (!unknown.isEmpty()) {
      throw invalid("volume attribute " + where + " has unknown field(s) " + unknown
          + "; known are " + new TreeSet<>(OBJECT_FIELDS));
    }
    String objectName = scalar(entry, "objectName", where)
        .orElseThrow(() -> invalid("volume attribute " + where + ".objectName is required"));
    checkObjectName(objectName, where + ".objectName");
    String secretPath = scalar(entry, "secretPath", where)
        .orElseThrow(() -> invalid("volume attribute " + where + ".secretPath is required"));
    String apiPath = apiPath(secretPath, where + ".secretPath");
    String method = scalar(entry, "method", where).orElse("GET").toUpperCase(Locale.ROOT);
    if (!method.equals("GET") && !method.equals("PUT") && !method.equals("POST")) {
      throw invalid("volume attribute " + where + ".method is \"" + method
          + "\"; it must be GET, PUT or POST");
    }
    Map<String, Object> secretArgs = new LinkedHashMap<>();
    Object args = entry.get("secretArgs");
    if (args != null) {
      if (!(args instanceof Map<?, ?> argMap)) {
        throw invalid("volume attribute " + where + ".secretArgs must be a map, e.g."
            + " {common_name: app.example.com}");
      }
      for (Map.Entry<?, ?> arg : argMap.entrySet()) {
        secretArgs.put(String.valueOf(arg.getKey()), arg.getValue());
      }
      if (method.equals("GET") && !secretArgs.isEmpty()) {
        throw invalid("volume attribute " + where + ".secretArgs needs method PUT or POST;"
            + " a GET request has no body (put GET parameters into secretPath, e.g. ?version=2)");
      }
    }
    SecretObject.Encoding encoding = SecretObject.Encoding.parse(
        scalar(entry, "encoding", where).orElse("utf-8"), where + ".encoding");
    int mode = filePermission(entry.get("filePermission"), where + ".filePermission");
    return new SecretObject(objectName, apiPath, method, scalar(entry, "secretKey", where),
        secretArgs, encoding, mode);
  }

  private static void checkObjectName(String name, String where) throws BackendException {
    if (name.startsWith("/") || name.contains("\\") || name.contains("\0")) {
      throw invalid("volume attribute " + where + " is \"" + name
          + "\"; it must be a relative file name such as db-password or tls/ca.crt");
    }
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw invalid("volume attribute " + where + " is \"" + name
            + "\"; it must not contain empty, \".\" or \"..\" path segments");
      }
    }
  }

  /** vault-csi-provider's rule: a missing {@code /v1/} prefix is added; the query string stays. */
  static String apiPath(String secretPath, String where) throws BackendException {
    String path = secretPath.trim();
    if (path.startsWith("/v1/")) {
      path = path.substring("/v1/".length());
    } else if (path.startsWith("v1/")) {
      path = path.substring("v1/".length());
    } else if (path.startsWith("/")) {
      path = path.substring(1);
    }
    int query = path.indexOf('?');
    String route = query < 0 ? path : path.substring(0, query);
    if (route.isEmpty() || route.contains("//") || route.contains("#")
        || route.chars().anyMatch(Character::isWhitespace)) {
      throw invalid("volume attribute " + where + " is \"" + secretPath
          + "\"; it must be a Vault API path such as secret/data/app or database/creds/app");
    }
    for (String segment : route.split("/")) {
      if (segment.equals("..") || segment.equals(".")) {
        throw invalid("volume attribute " + where + " is \"" + secretPath
            + "\"; it must not contain \".\" or \"..\" segments");
      }
    }
    return path;
  }

  private static int filePermission(Object value, String where) throws BackendException {
    if (value == null) {
      return MaterialFile.DEFAULT_MODE;
    }
    int mode;
    if (value instanceof Integer number) {
      // YAML 1.1 reads 0600 as octal already
      mode = number;
    } else {
      String text = String.valueOf(value).trim();
      try {
        mode = Integer.parseInt(text.startsWith("0o") ? text.substring(2) : text, 8);
      } catch (NumberFormatException e) {
        throw invalid("volume attribute " + where + " is \"" + text
            + "\"; it must be an octal mode such as 0600");
      }
    }
    if (mode < 0 || mode > 0777) {
      throw invalid("volume attribute " + where + " is " + value + " (" + Integer.toOctalString(mode)
          + " in octal); it must be an octal mode within 0000..0777 written with a leading 0,"
          + " such as 0600");
    }
    return mode;
  }

  private static Optional<String> scalar(Map<?, ?> entry, String field, String where)
      throws BackendException {
    Object value = entry.get(field);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof Map || value instanceof List) {
      throw invalid("volume attribute " + where + "." + field + " must be a string");
    }
    String text = String.valueOf(value);
    return text.isBlank() ? Optional.empty() : Optional.of(text);
  }

  private static Optional<String> value(Map<String, String> attributes, String key) {
    String value = attributes.get(key);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "parse error";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
