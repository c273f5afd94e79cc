package dev.passport.tools.demo;

import dev.passport.testkit.TestPki;
import dev.passport.tools.azure.FakeEntra;
import dev.passport.tools.azure.FakeKeyVault;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The azure plugin against {@link FakeEntra} and {@link FakeKeyVault}: workload identity (the
 * pod's token for api://AzureADTokenExchange exchanged for an access token), then Key Vault
 * reads. Both serve HTTPS, as the Azure SDK sends bearer tokens over nothing else: the demo makes
 * a throwaway CA and gives the plugin its certificate as caBundle.
 */
public final class AzureDemo implements BackendDemo {

  private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  private static final String CLIENT_ID = "a7f3c1e2-1b2c-4d5e-8f90-123456789abc";
  private static final String VAULT = "kv-demo";
  private static final String USERNAME = "db-username";
  private static final String PASSWORD = "db-password";
  // provider-azure's objects: a YAML array of object YAML strings
  private static final String OBJECTS = """
      array:
        - |
          objectName: %s
          objectType: secret
        - |
          objectName: %s
          objectType: secret
      """.formatted(USERNAME, PASSWORD);

  private FakeEntra entra;
  private FakeKeyVault keyVault;

  @Override
  public String backend() {
    return "azure";
  }

  @Override
  public String start(DemoSetting setting) throws Exception {
    TestPki pki = TestPki.create("passport demo CA");
    TestPki.Leaf leaf = pki.issue("localhost", "localhost", "127.0.0.1");
    Path caBundle = pki.writeCa(setting.conf().resolve("azure-demo-ca.pem"));
    entra = new FakeEntra(pki.serverContext(leaf), setting.tokens(), setting.clock());
    keyVault = new FakeKeyVault(pki.serverContext(leaf), entra, TENANT);
    entra.federate(TENANT, CLIENT_ID, NAMESPACE, SERVICE_ACCOUNT);
    keyVault.putSecret(VAULT, USERNAME, "app");
    keyVault.putSecret(VAULT, PASSWORD, DemoStory.FIRST_PASSWORD);
    Map<String, String> config = new LinkedHashMap<>();
    config.put("authorityHost", entra.authorityHost());
    config.put("keyVaultEndpoint", keyVault.endpointTemplate());
    config.put("caBundle", caBundle.toString());
    setting.writeConfig(backend(), config);
    return "a local Entra ID token endpoint at " + entra.authorityHost() + " and Key Vault at "
        + keyVault.endpointTemplate() + " (HTTPS with a throwaway CA; stand-ins for demos and"
        + " tests, not Azure)";
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("keyvaultName", VAULT, "tenantId", TENANT, "clientID", CLIENT_ID,
        "objects", OBJECTS);
  }

  @Override
  public String audience() {
    return FakeEntra.AUDIENCE;
  }

  @Override
  public String rotate() {
    keyVault.putSecret(VAULT, PASSWORD, DemoStory.ROTATED_PASSWORD);
    return "Rotated the password in Key Vault (a new version of " + PASSWORD + ")";
  }

  @Override
  public String counts() {
    return "Entra token exchanges " + exchanges() + ", Key Vault reads of " + USERNAME + " "
        + keyVault.reads("secrets", USERNAME) + ", of " + PASSWORD + " "
        + keyVault.reads("secrets", PASSWORD);
  }

  @Override
  public long exchanges() {
    return entra.exchanges();
  }

  @Override
  public void close() {
    if (keyVault != null) {
      keyVault.close();
    }
    if (entra != null) {
      entra.close();
    }
  }
}
