package dev.passport.plugins.azure;

import dev.passport.api.BackendException;
import dev.passport.support.KubernetesAccess;
import dev.passport.support.Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The plugin configuration ({@code azure.properties}), bound and validated at startup.
 *
 * @param tenantId the tenant of volumes that name none
 * @param cloud the cloud of volumes that name none (provider-azure's {@code --cloud-name})
 * @param authorityHost the operator's Entra authority host, replacing every cloud's
 * @param keyVaultEndpoint the operator's Key Vault URL template ({@code {vault}} replaced by the
 *     vault name), replacing every cloud's
 * @param caBundle PEM file of CA certificates trusted in addition to the JDK's
 * @param pinnedRefreshInterval how long material made only of pinned versions is kept
 * @param constructPemChain provider-azure's {@code --construct-pem-chain} (default true): order a
 *     PFX's certificates leaf, intermediates, root
 * @param kubernetes how to read service account annotations, if they are read
 */
record AzureConfig(
    Optional<String> tenantId,
    AzureCloud cloud,
    Optional<String> authorityHost,
    Optional<String> keyVaultEndpoint,
    Optional<Path> caBundle,
    Duration pinnedRefreshInterval,
    boolean constructPemChain,
    Optional<KubernetesAccess> kubernetes) {

  static final String FILE = "azure.properties";
  static final String TENANT_ID = "tenantId";
  static final String CLOUD_NAME = "cloudName";
  static final String AUTHORITY_HOST = "authorityHost";
  static final String KEY_VAULT_ENDPOINT = "keyVaultEndpoint";
  static final String CA_BUNDLE = "caBundle";
  static final String PINNED_REFRESH_INTERVAL = "pinnedRefreshInterval";
  static final String CONSTRUCT_PEM_CHAIN = "constructPemChain";
  static final String VAULT_PLACEHOLDER = "{vault}";
  static final Duration DEFAULT_PINNED_REFRESH_INTERVAL = Duration.ofHours(24);

  // a tenant is a GUID or a domain name (contoso.onmicrosoft.com): it becomes a path segment of
  // the token URL, so no '/', '?', '#', '%'
  static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.\\-]{0,252}");

  static AzureConfig defaults() {
    return new AzureConfig(Optional.empty(), AzureCloud.PUBLIC, Optional.empty(), Optional.empty(),
        Optional.empty(), DEFAULT_PINNED_REFRESH_INTERVAL, true, Optional.empty());
  }

  static AzureConfig parse(Map<String, String> config) throws BackendException {
    return parse(config, System.getenv());
  }

  static AzureConfig parse(Map<String, String> config, Map<String, String> environment)
      throws BackendException {
    Settings settings = Settings.config(FILE, config);
    settings.known(TENANT_ID, CLOUD_NAME, AUTHORITY_HOST, KEY_VAULT_ENDPOINT, CA_BUNDLE,
            PINNED_REFRESH_INTERVAL, CONSTRUCT_PEM_CHAIN)
        .known(KubernetesAccess.keys())
        .rejectUnknown();
    Optional<String> tenant = stripped(settings, TENANT_ID);
    if (tenant.isPresent()) {
      checkTenant(settings, TENANT_ID, tenant.get());
    }
    String cloudName = stripped(settings, CLOUD_NAME).orElse(AzureCloud.PUBLIC.cloudName);
    AzureCloud cloud = AzureCloud.named(cloudName).orElseThrow(() ->
        settings.invalid(CLOUD_NAME, cloudName, cloudRule()));
    Optional<String> authority = stripped(settings, AUTHORITY_HOST);
    if (authority.isPresent()) {
      URI uri = httpsUri(settings, AUTHORITY_HOST, authority.get(),
          "https://login.microsoftonline.com/");
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw settings.invalid(AUTHORITY_HOST, authority.get(), "no query or fragment");
      }
    }
    Optional<String> vault = stripped(settings, KEY_VAULT_ENDPOINT);
    if (vault.isPresent()) {
      checkVaultTemplate(settings, vault.get());
    }
    return new AzureConfig(
        tenant,
        cloud,
        authority,
        vault.map(v -> v.endsWith("/") ? v.substring(0, v.length() - 1) : v),
        caBundle(settings),
        settings.positiveDuration(PINNED_REFRESH_INTERVAL, DEFAULT_PINNED_REFRESH_INTERVAL),
        settings.bool(CONSTRUCT_PEM_CHAIN, true),
        KubernetesAccess.parse(settings, environment));
  }

  /** The authority host of a volume in {@code cloud}: the operator's, else the cloud's. */
  String authorityHostFor(AzureCloud volumeCloud) {
    return authorityHost.orElse(volumeCloud.authorityHost);
  }

  /** The vault URL of {@code vaultName} (already checked to be 3-24 of [-A-Za-z0-9]). */
  String vaultUrl(AzureCloud volumeCloud, String vaultName) {
    return keyVaultEndpoint.orElse(volumeCloud.keyVaultTemplate())
        .replace(VAULT_PLACEHOLDER, vaultName);
  }

  static String cloudRule() {
    return "use AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud or AzureGermanCloud;"
        + " for another cloud (AzureStackCloud) the operator sets " + AUTHORITY_HOST + " and "
        + KEY_VAULT_ENDPOINT + " in " + FILE;
  }

  static void checkTenant(Settings settings, String key, String tenant) throws BackendException {
    if (!TENANT.matcher(tenant).matches()) {
      throw settings.invalid(key, tenant,
          "give the Entra tenant id (a GUID) or its domain, e.g. contoso.onmicrosoft.com");
    }
  }

  static Optional<String> stripped(Settings settings, String key) {
    return settings.optional(key).map(String::strip).filter(v -> !v.isEmpty());
  }

  private static void checkVaultTemplate(Settings settings, String template)
      throws BackendException {
    String example = "https://{vault}.vault.azure.net";
    int first = template.indexOf(VAULT_PLACEHOLDER);
    if (first < 0 || first != template.lastIndexOf(VAULT_PLACEHOLDER)) {
      throw settings.invalid(KEY_VAULT_ENDPOINT, template,
          "write an https URL with {vault} once, e.g. " + example);
    }
    URI uri = httpsUri(settings, KEY_VAULT_ENDPOINT, template.replace(VAULT_PLACEHOLDER, "vault"),
        example);
    if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
      throw settings.invalid(KEY_VAULT_ENDPOINT, template, "no user, query or fragment; e.g. "
          + example);
    }
  }

  private static URI httpsUri(Settings settings, String key, String value, String example)
      throws BackendException {
    URI uri;
    try {
      uri = URI.create(value);
    } catch (IllegalArgumentException e) {
      throw settings.invalid(key, value, "write an https URL, e.g. " + example);
    }
    // the identity library and Key Vault clients send bearer tokens; never over plain http
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw settings.invalid(key, value, "write an https URL with a host, e.g. " + example);
    }
    return uri;
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
}
