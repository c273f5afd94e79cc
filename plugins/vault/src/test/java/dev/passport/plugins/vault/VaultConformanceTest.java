package dev.passport.plugins.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.conformance.BackendConformance;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRole;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The shared backend conformance suite, with the vault plugin against {@link VaultDevServer}. */
class VaultConformanceTest extends BackendConformance {

  private static final String KV_PATH = "secret/data/conformance/app";
  private static final String OBJECTS = """
      - objectName: db/password
        secretPath: %s
        secretKey: password
      - objectName: db/username
        secretPath: database/creds/app
        secretKey: username
        filePermission: 0400
      """.formatted(KV_PATH);

  private VaultDevServer vault;
  /** Set by backendFails(INVALID_ARGUMENT): the only way this plugin meets one is bad attributes. */
  private boolean invalidAttributes;
  /** Set by backendFails(DEADLINE_EXCEEDED): the stall is meant to outlast the request timeout. */
  private boolean stalled;

  @BeforeEach
  void startVault() throws IOException {
    vault = VaultDevServer.start(tokens(), clock());
    vault.addRole("kubernetes", VaultRole.of("app", NAMESPACE, SERVICE_ACCOUNT));
    // a lease far longer than the suite moves the clock: the credential must stay identical
    vault.databaseRole("app", Duration.ofHours(24), Duration.ofHours(72));
  }

  @AfterEach
  void stopVault() {
    vault.close();
  }

  @Override
  protected BackendFactory factory() {
    return new VaultBackendFactory();
  }

  @Override
  protected Map<String, String> config() {
    // The deadline check stalls past the host's 2 s fetch timeout; the plugin's own request
    // timeout only needs to let a working Vault answer on a loaded CI machine (1 s was a budget
    // such a machine can miss). Where Vault stalls on purpose, 2 s: the plugin's DEADLINE_EXCEEDED
    // is the expected answer, a loaded machine can only bring it sooner, and it is not 10 s of waiting.
    return Map.of("vaultAddress", vault.address(), "requestTimeout", stalled ? "2s" : "10s");
  }

  @Override
  protected Map<String, String> attributes() {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("roleName", "app");
    attributes.put("objects", OBJECTS);
    if (invalidAttributes) {
      attributes.put("objects", "- {objectName: ../escape, secretPath: " + KV_PATH + "}");
    }
    return attributes;
  }

  @Override
  protected Set<String> audiences() {
    return Set.of("vault");
  }

  @Override
  protected void backendSucceeds() {
    vault.kvPut("secret", "conformance/app", Map.of("password", "s3cret"));
  }

  @Override
  protected void backendFails(BackendException.Kind kind) {
    backendSucceeds();
    switch (kind) {
      case INVALID_ARGUMENT -> invalidAttributes = true;
      case UNAUTHENTICATED -> vault.failNext(100, 401);
      case PERMISSION_DENIED -> vault.failNext(100, 403);
      case NOT_FOUND -> vault.failPath(KV_PATH, 404);
      case FAILED_PRECONDITION -> vault.failPath(KV_PATH, 400);
      case UNAVAILABLE -> vault.seal();
      case DEADLINE_EXCEEDED -> {
        stalled = true;
        vault.stallNext(100, Duration.ofMinutes(1));
      }
      // what Vault answers when a rate limit quota is exceeded
      case RESOURCE_EXHAUSTED -> vault.failPath(KV_PATH, 429);
      // an answer Vault never gives: the plugin cannot make sense of it
      case INTERNAL -> vault.failPath(KV_PATH, 418);
      default -> throw new IllegalArgumentException("no way to make Vault fail with " + kind);
    }
  }

  /**
   * The Vault client tokens the dev server issued during the lifecycle: the TRACE run under the
   * production logging setup proves none reached the log, whatever the driver or the JDK's HTTP
   * client logged.
   */
  /** Database credentials are what this fixture's volume issues: each read mints a new lease. */
  @Override
  protected java.util.OptionalLong issuances() {
    return java.util.OptionalLong.of(vault.reads("database/creds/app"));
  }

  @Override
  protected Set<String> backendSecrets() {
    Set<String> issued = vault.issuedClientTokens();
    assertThat(issued).as("Vault client tokens issued during the lifecycle: without one, the"
        + " log check proves nothing about them").isNotEmpty();
    return issued;
  }

  @Override
  protected void backendStalls(Duration duration) {
    backendSucceeds();
    vault.stallNext(100, duration);
  }
}
