package dev.passport.plugins.vault;

import dev.passport.testkit.TestPki;
import dev.passport.tools.vault.VaultDevServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS tests' fixture: a test CA, a certificate directory the plugin may be allowed to read,
 * and a {@link VaultRig} whose dev server speaks TLS with a certificate of that CA, closed after
 * each test.
 */
abstract class VaultTlsTestBase {

  static final String OBJECTS = VaultRig.PASSWORD;

  @TempDir Path temp;

  TestPki pki;
  /** Where the tests write CA files, client certificates and keys. */
  Path certs;
  VaultRig rig;

  @BeforeEach
  void createPki() throws Exception {
    pki = TestPki.create("Test Vault CA");
    certs = Files.createDirectories(temp.resolve("certs"));
  }

  @AfterEach
  void stop() {
    if (rig != null) {
      rig.close();
    }
  }

  /**
   * Starts {@link #rig}: its server set up by {@code server}, its plugin config by {@code config},
   * with {@code secret/shop/db} {@code password=kv2-secret}.
   */
  void start(UnaryOperator<VaultDevServer.Builder> server,
      UnaryOperator<Map<String, String>> config) throws Exception {
    rig = VaultRig.start(server, config);
    rig.vault.kvPut("secret", "shop/db", Map.of("password", "kv2-secret"));
  }

  /** Plugin config that allows reading {@link #certs}. */
  UnaryOperator<Map<String, String>> allowCerts() {
    return config -> {
      config.put("allowedCertDirectories", certs.toString());
      return config;
    };
  }

  /** A server context with a certificate of {@link #pki} for these names. */
  SSLContext serverContext(String... names) {
    try {
      return pki.serverContext(pki.issue("vault", names));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
