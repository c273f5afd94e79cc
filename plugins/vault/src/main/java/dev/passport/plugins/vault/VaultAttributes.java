package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultPluginConfig.trimmed;

import dev.passport.api.BackendException;
import dev.passport.api.PreparedVolume;
import dev.passport.support.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A volume's attributes, parsed once by {@link VaultBackend#prepare}: the {@code parameters} of
 * hashicorp's vault-csi-provider, so that a SecretProviderClass migrates by copying them into
 * {@code volumeAttributes}.
 *
 * @param roleName the Vault role to log in with
 * @param address the Vault address, one the plugin configuration allows
 * @param authMountPath the auth mount, e.g. {@code kubernetes} or {@code jwt}
 * @param namespace the Vault Enterprise namespace, if any
 * @param audience the pod token audience to log in with; empty: the API server's own audience
 * @param tls TLS settings merged with the plugin's defaults
 * @param objects the files of the volume, in order
 * @param revokeOnUnpublish whether to revoke the volume's leases when it is unpublished
 * @param ignored parameters vault-csi-provider ignores and so does this plugin, set on this volume
 */
record VaultAttributes(
    String roleName,
    VaultAddress address,
    String authMountPath,
    Optional<String> namespace,
    String audience,
    TlsSettings tls,
    List<SecretObject> objects,
    boolean revokeOnUnpublish,
    List<String> ignored) implements PreparedVolume {

  static final String ROLE_NAME = "roleName";
  static final String VAULT_ADDRESS = "vaultAddress";
  static final String AUTH_MOUNT_PATH = "vaultAuthMountPath";
  static final String KUBERNETES_MOUNT_PATH = "vaultKubernetesMountPath";
  static final String NAMESPACE = "vaultNamespace";
  static final String AUDIENCE = "audience";
  static final String SKIP_TLS_VERIFY = "vaultSkipTLSVerify";
  static final String OBJECTS = "objects";
  static final String REVOKE_ON_UNPUBLISH = "revokeOnUnpublish";

  static final String DEFAULT_AUDIENCE = "vault";

  /**
   * Parameters of vault-csi-provider before 0.1.0 that it has ignored since (its CHANGELOG, GH-64
   * and GH-65): old SecretProviderClasses still carry them, so they are accepted and named in one
   * WARN when the volume's attributes are prepared.
   */
  static final List<String> IGNORED = List.of("kubernetesServiceAccountPath", "vaultCAPem");

  private static final String[] KEYS = {ROLE_NAME, VAULT_ADDRESS, AUTH_MOUNT_PATH,
      KUBERNETES_MOUNT_PATH, NAMESPACE, AUDIENCE, TlsSettings.CA_CERT_PATH,
      TlsSettings.CA_DIRECTORY, TlsSettings.TLS_SERVER_NAME, TlsSettings.CLIENT_CERT_PATH,
      TlsSettings.CLIENT_KEY_PATH, SKIP_TLS_VERIFY, OBJECTS, REVOKE_ON_UNPUBLISH,
      IGNORED.get(0), IGNORED.get(1)};

  VaultAttributes {
    objects = List.copyOf(objects);
    ignored = List.copyOf(ignored);
  }

  /** The Vault's origin: the host limits concurrent fetches per remote, so a slow Vault holds only its own. */
  @Override
  public Optional<String> remote() {
    return Optional.of(address.origin());
  }

  /** The one pod token audience a fetch logs in with. */
  @Override
  public Set<String> audiences() {
    return Set.of(audience);
  }

  /**
   * Parses and checks the attributes strictly; every failure is INVALID_ARGUMENT naming the
   * attribute or {@code objects[i].field}.
   */
  static VaultAttributes parse(Map<String, String> values, VaultPluginConfig config)
      throws BackendException {
    // a misspelt key is reported as such before any "is required" it causes
    Settings attributes = Settings.attributes(values).known(KEYS);
    attributes.rejectUnknown();
    String roleName = attributes.required(ROLE_NAME, "the Vault role to log in with").strip();

    VaultAddress address = address(attributes, config);

    String authMount = authMount(attributes, config);
    Optional<String> namespace = trimmed(attributes, NAMESPACE).map(VaultPluginConfig::trimSlashes)
        .filter(ns -> !ns.isEmpty()).or(config::defaultNamespace);
    // issue 16 item 1: `audience: ""` asks for kubelet's API-server-audience token, the one a Vault
    // role without an audience accepts (vault-csi-provider's token when it has no `vault` one)
    String audience = values.containsKey(AUDIENCE) ? values.get(AUDIENCE).strip() : config.defaultAudience();

    // Go's strconv.ParseBool, as vault-csi-provider reads it ("1", "t", "True" …)
    boolean skipVerify = attributes.goBool(SKIP_TLS_VERIFY, false);
    if (skipVerify && !config.allowSkipTlsVerify()) {
      throw BackendException.invalid(attributes.describe(SKIP_TLS_VERIFY) + " is \""
          + values.get(SKIP_TLS_VERIFY).strip() + "\" (true) and refused: skipping Vault's"
          + " certificate check is the cluster operator's opt-in on this node ("
          + VaultPluginConfig.FILE + " " + VaultPluginConfig.ALLOW_SKIP_TLS_VERIFY + "=true),"
          + " which it has not given; trust Vault's CA with " + TlsSettings.CA_CERT_PATH
          + " instead");
    }
    TlsSettings tls = TlsSettings.bind(
        attributes, key -> allowedPath(attributes, key, config), skipVerify);
    boolean revoke = attributes.bool(REVOKE_ON_UNPUBLISH, config.revokeOnUnpublish());
    List<SecretObject> objects = SecretObjects.parse(attributes.required(OBJECTS,
        "a YAML list of {objectName, secretPath, secretKey, …}"));

    List<String> ignored = IGNORED.stream().filter(values::containsKey).toList();
    return new VaultAttributes(roleName, address, authMount, namespace, audience,
        tls.orElse(config.tls()), objects, revoke, ignored);
  }

  /**
   * The volume's Vault: the configured default, or a {@code vaultAddress} the operator allowed.
   * Checked here, once per attribute set and before any fetch, so a refused address is never
   * connected to (issue 13: a pod must not make the driver reach cloud metadata or node ports).
   */
  private static VaultAddress address(Settings attributes, VaultPluginConfig config)
      throws BackendException {
    Optional<String> value = trimmed(attributes, VAULT_ADDRESS);
    if (value.isEmpty()) {
      return config.defaultAddress().orElseThrow(() -> BackendException.invalid(
          attributes.describe(VAULT_ADDRESS) + " is not set and " + VaultPluginConfig.FILE
              + " has no default " + VaultPluginConfig.ADDRESS));
    }
    VaultAddress address = VaultAddress.parse(attributes, VAULT_ADDRESS, value.get());
    if (!config.allows(address)) {
      throw new BackendException(BackendException.Kind.PERMISSION_DENIED,
          attributes.describe(VAULT_ADDRESS) + " is \"" + value.get() + "\": " + address
              + " is not a Vault this node may connect to (allowed: "
              + (config.allowedAddresses().isEmpty() ? "none" : config.allowedAddresses()) + ");"
              + " ask the cluster operator to add " + address + " to "
              + VaultPluginConfig.ALLOWED_ADDRESSES + " in " + VaultPluginConfig.FILE
              + (config.defaultAddress().isPresent()
                  ? ", or remove " + VAULT_ADDRESS + " to use " + config.defaultAddress().get()
                  : ""));
    }
    return address;
  }

  private static String authMount(Settings attributes, VaultPluginConfig config)
      throws BackendException {
    Optional<String> mount = trimmed(attributes, AUTH_MOUNT_PATH);
    Optional<String> legacyMount = trimmed(attributes, KUBERNETES_MOUNT_PATH);
    if (mount.isPresent() && legacyMount.isPresent()) {
      throw BackendException.invalid(attributes.describe(AUTH_MOUNT_PATH) + " and "
          + attributes.describe(KUBERNETES_MOUNT_PATH) + " are both set; "
          + KUBERNETES_MOUNT_PATH + " is the older name, set only " + AUTH_MOUNT_PATH);
    }
    // vault-csi-provider accepts "kubernetes" as well as "auth/kubernetes"
    String authMount = mount.or(() -> legacyMount)
        .map(VaultPluginConfig::trimSlashes)
        .map(m -> m.startsWith("auth/") ? m.substring("auth/".length()) : m)
        .orElse(config.defaultAuthMountPath());
    if (authMount.isEmpty()) {
      throw BackendException.invalid(attributes.describe(AUTH_MOUNT_PATH)
          + " is empty after removing slashes");
    }
    return authMount;
  }

  /**
   * A certificate or key path from an attribute: absolute and inside a directory the plugin
   * configuration allows, so that a pod cannot make the driver read node files.
   */
  private static Optional<String> allowedPath(
      Settings attributes, String key, VaultPluginConfig config) throws BackendException {
    Optional<String> value = trimmed(attributes, key);
    if (value.isEmpty()) {
      return value;
    }
    Path path = Path.of(value.get());
    if (!path.isAbsolute()) {
      throw attributes.invalid(key, value.get(), "it must be an absolute path");
    }
    Path normalized = path.normalize();
    for (Path dir : config.allowedCertDirectories()) {
      // Path.startsWith compares whole segments: /etc/vault-certs2 is not inside /etc/vault-certs
      if (normalized.startsWith(dir) && resolvesInside(normalized, dir)) {
        return Optional.of(normalized.toString());
      }
    }
    throw attributes.invalid(key, value.get(), "it is not inside a directory the node's vault"
        + " plugin configuration allows (" + VaultPluginConfig.ALLOWED_CERT_DIRECTORIES + "="
        + config.allowedCertDirectories() + "); ask the cluster operator to allow its directory"
        + " or mount the file there");
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
}
