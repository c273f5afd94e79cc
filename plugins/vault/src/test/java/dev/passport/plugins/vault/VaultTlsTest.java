package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultBackendTest.failure;
import static dev.passport.plugins.vault.VaultRig.attributes;
import static dev.passport.plugins.vault.VaultRig.text;
import static dev.passport.plugins.vault.VaultRig.with;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.Material;
import dev.passport.testkit.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VaultTlsTest extends VaultTlsTestBase {

  @Test
  void customCaFromAllowedDirectory_fetchesAndRenewsOverHttps() throws Exception {
    Path ca = pki.writeCa(certs.resolve("ca.pem"));
    start(server -> server.sslContext(serverContext("127.0.0.1", "localhost")), allowCerts());
    String objects = """
        - objectName: user
          secretPath: database/creds/app
          secretKey: username
        """;
    Map<String, String> attributes = with(attributes(objects), "vaultCACertPath", ca.toString());

    Material first = rig.fetch(attributes);
    rig.clock.advance(Duration.ofMinutes(20));
    Material renewed = rig.fetch(attributes);

    assertThat(rig.vault.address()).startsWith("https://127.0.0.1:");
    // the driver's lease calls build their own HTTP client: they must trust the same CA
    assertThat(rig.vault.renewals()).isEqualTo(1);
    assertThat(text(renewed, "user")).isEqualTo(text(first, "user"));
  }

  @Test
  void caDirectory_trustsEveryPemInIt() throws Exception {
    TestPki other = TestPki.create("Other CA");
    other.writeCa(certs.resolve("a-other.pem"));
    pki.writeCa(certs.resolve("b-vault.crt"));
    Files.writeString(certs.resolve("README"), "not a certificate");
    start(server -> server.sslContext(serverContext("127.0.0.1")), allowCerts());

    Material material = rig.fetch(with(attributes(OBJECTS), "vaultCADirectory", certs.toString()));

    assertThat(text(material, "password")).isEqualTo("kv2-secret");
  }

  @Test
  void caFromPluginConfig_needsNoAllowedDirectory() throws Exception {
    Path ca = pki.writeCa(temp.resolve("operator-ca.pem"));
    start(server -> server.sslContext(serverContext("127.0.0.1")), config -> {
      config.put("vaultCACertPath", ca.toString());
      return config;
    });

    assertThat(text(rig.fetch(attributes(OBJECTS)), "password")).isEqualTo("kv2-secret");
  }

  @Test
  void unknownCa_isUnavailableNamingTls() throws Exception {
    start(server -> server.sslContext(serverContext("127.0.0.1")), allowCerts());

    BackendException e = failure(() -> rig.fetch(attributes(OBJECTS)));

    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("TLS", "vaultCACertPath");
  }

  @Test
  void skipTlsVerify_whenConfigAllowsIt_acceptsAnyServer() throws Exception {
    start(server -> server.sslContext(serverContext("127.0.0.1")), config -> {
      config.put("allowSkipTLSVerify", "true");
      return config;
    });

    Material material = rig.fetch(with(attributes(OBJECTS), "vaultSkipTLSVerify", "true"));

    assertThat(text(material, "password")).isEqualTo("kv2-secret");
  }

  @Test
  void skipTlsVerify_whenConfigRefusesIt_isInvalidWithoutAnyVaultCall() throws Exception {
    start(server -> server.sslContext(serverContext("127.0.0.1")), allowCerts());

    BackendException e = failure(() -> rig.fetch(with(attributes(OBJECTS), "vaultSkipTLSVerify", "true")));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(rig.vault.requests()).isEmpty();
  }

  @Test
  void tlsServerName_verifiesTheCertificateAgainstThatName() throws Exception {
    Path ca = pki.writeCa(certs.resolve("ca.pem"));
    // the certificate names vault.internal only, not the 127.0.0.1 we connect to
    start(server -> server.sslContext(serverContext("vault.internal")), allowCerts());
    Map<String, String> attributes = with(attributes(OBJECTS), "vaultCACertPath", ca.toString());

    assertThat(failure(() -> rig.fetch(attributes)).kind()).isEqualTo(Kind.UNAVAILABLE);
    Material material = rig.fetch(with(attributes, "vaultTLSServerName", "vault.internal"));
    assertThat(text(material, "password")).isEqualTo("kv2-secret");
    assertThat(failure(() -> rig.fetch(with(attributes, "vaultTLSServerName", "other.internal"))).kind())
        .isEqualTo(Kind.UNAVAILABLE);
  }

  @Test
  void clientCertificate_isPresentedWhenVaultRequiresOne() throws Exception {
    Path ca = pki.writeCa(certs.resolve("ca.pem"));
    TestPki.Leaf client = pki.issue("passport-node");
    Path cert = client.writeCertificate(certs.resolve("client.pem"));
    Path key = client.writeKey(certs.resolve("client.key"));
    start(server -> server.sslContext(serverContext("127.0.0.1")).requireClientCertificate(), allowCerts());
    Map<String, String> attributes = with(attributes(OBJECTS), "vaultCACertPath", ca.toString());

    assertThat(failure(() -> rig.fetch(attributes)).kind()).isEqualTo(Kind.UNAVAILABLE);
    Material material = rig.fetch(with(with(attributes,
        "vaultTLSClientCertPath", cert.toString()), "vaultTLSClientKeyPath", key.toString()));
    assertThat(text(material, "password")).isEqualTo("kv2-secret");
  }

  @Test
  void unreadableCaFile_isInvalidNamingIt() throws Exception {
    start(server -> server.sslContext(serverContext("127.0.0.1")), allowCerts());

    BackendException e = failure(() -> rig.fetch(with(attributes(OBJECTS),
        "vaultCACertPath", certs.resolve("missing.pem").toString())));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("vaultCACertPath", "missing.pem");
  }
}
