package dev.passport.tools.demo;

import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRole;
import java.util.Map;

/** The vault plugin against the Vault-API dev server: Kubernetes auth, a KV v2 secret. */
public final class VaultDemo implements BackendDemo {

  private static final String ROLE = "web";
  private static final String OBJECTS = """
      - objectName: db/username
        secretPath: secret/data/app/db
        secretKey: username
      - objectName: db/password
        secretPath: secret/data/app/db
        secretKey: password
      """;

  private VaultDevServer vault;

  @Override
  public String backend() {
    return "vault";
  }

  @Override
  public String start(DemoSetting setting) throws Exception {
    vault = VaultDevServer.start(setting.tokens(), setting.clock());
    vault.addRole("kubernetes", VaultRole.of(ROLE, NAMESPACE, SERVICE_ACCOUNT));
    vault.mountKv("", "secret", 2);
    vault.kvPut("secret", "app/db",
        Map.of("username", "app", "password", DemoStory.FIRST_PASSWORD));
    setting.writeConfig(backend(), Map.of("vaultAddress", vault.address()));
    return "a Vault-API dev server at " + vault.address()
        + " (in memory, for demos and tests; it is not Vault)";
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("roleName", ROLE, "objects", OBJECTS);
  }

  @Override
  public String passwordFile() {
    return "db/password";
  }

  @Override
  public String audience() {
    return "vault";
  }

  @Override
  public String rotate() {
    vault.kvPut("secret", "app/db",
        Map.of("username", "app", "password", DemoStory.ROTATED_PASSWORD));
    return "Rotated the password in Vault";
  }

  @Override
  public String counts() {
    return "Vault logins " + vault.logins() + ", reads " + vault.reads();
  }

  @Override
  public long exchanges() {
    return vault.logins();
  }

  @Override
  public void close() {
    if (vault != null) {
      vault.close();
    }
  }
}
