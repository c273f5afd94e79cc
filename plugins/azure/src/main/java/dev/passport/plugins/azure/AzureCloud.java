package dev.passport.plugins.azure;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The clouds provider-azure's {@code cloudName} names, with the endpoints go-autorest's
 * {@code azure.EnvironmentFromName} gives them (names compared upper-cased, as it does).
 */
enum AzureCloud {
  PUBLIC("AzurePublicCloud", "https://login.microsoftonline.com/", "vault.azure.net"),
  US_GOVERNMENT("AzureUSGovernmentCloud", "https://login.microsoftonline.us/",
      "vault.usgovcloudapi.net"),
  CHINA("AzureChinaCloud", "https://login.chinacloudapi.cn/", "vault.azure.cn"),
  GERMAN("AzureGermanCloud", "https://login.microsoftonline.de/", "vault.microsoftazure.de");

  // go-autorest's environments map, aliases included
  private static final Map<String, AzureCloud> BY_NAME = Map.of(
      "AZURECHINACLOUD", CHINA,
      "AZUREGERMANCLOUD", GERMAN,
      "AZURECLOUD", PUBLIC,
      "AZUREPUBLICCLOUD", PUBLIC,
      "AZUREUSGOVERNMENT", US_GOVERNMENT,
      "AZUREUSGOVERNMENTCLOUD", US_GOVERNMENT);

  final String cloudName;
  final String authorityHost;
  final String vaultDnsSuffix;

  AzureCloud(String cloudName, String authorityHost, String vaultDnsSuffix) {
    this.cloudName = cloudName;
    this.authorityHost = authorityHost;
    this.vaultDnsSuffix = vaultDnsSuffix;
  }

  /** The Key Vault URL template of this cloud, as provider-azure builds vault URLs. */
  String keyVaultTemplate() {
    return "https://" + AzureConfig.VAULT_PLACEHOLDER + "." + vaultDnsSuffix;
  }

  static Optional<AzureCloud> named(String name) {
    return Optional.ofNullable(BY_NAME.get(name.strip().toUpperCase(Locale.ROOT)));
  }
}
