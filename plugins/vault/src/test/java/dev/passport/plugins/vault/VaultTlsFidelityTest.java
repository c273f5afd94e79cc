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
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Map;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 item 11: TLS and node defaults as vault-csi-provider (through Vault's Go client) has
 * them. Keys in the formats openssl writes are made with BouncyCastle here, a test-only helper.
 */
class VaultTlsFidelityTest extends VaultTlsTestBase {

  @Test
  void clientKeyInSec1EcFormat_isPresentedToVault() throws Exception {
    Path ca = pki.writeCa(certs.resolve("ca.pem"));
    TestPki.Leaf client = pki.issue("passport-node");
    Path cert = client.writeCertificate(certs.resolve("client.pem"));
    Path key = writeSec1(client.privateKey(), certs.resolve("client.key"));
    assertThat(Files.readString(key)).startsWith("-----BEGIN EC PRIVATE KEY-----");
    start(server -> server.sslContext(serverContext("127.0.0.1")).requireClientCertificate(), allowCerts());

    Material material = rig.fetch(with(with(with(attributes(OBJECTS), "vaultCACertPath", ca.toString()),
        "vaultTLSClientCertPath", cert.toString()), "vaultTLSClientKeyPath", key.toString()));

    assertThat(text(material, "password")).isEqualTo("kv2-secret");
  }

  @Test
  void tlsServerName_isSentAsSni_alsoForAHostName() throws Exception {
    Path ca = pki.writeCa(certs.resolve("ca.pem"));
    start(server -> server.sslContext(serverContext("vault.internal")), allowCerts());
    // a host name, for which the JDK's client would send its own SNI
    String byName = rig.vault.address().replace("127.0.0.1", "localhost");
    rig.allowVaultAddresses(byName);
    Map<String, String> attributes = with(with(with(attributes(OBJECTS), "vaultCACertPath", ca.toString()),
        "vaultTLSServerName", "vault.internal"), "vaultAddress", byName);

    Material material = rig.fetch(attributes);

    assertThat(text(material, "password")).isEqualTo("kv2-secret");
    assertThat(rig.vault.serverNames()).isNotEmpty().containsOnly("vault.internal");
  }

  @Test
  void clientKeyInPkcs1RsaFormat_isRead() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    PrivateKey rsa = generator.generateKeyPair().getPrivate();
    Path key = writeOpensslStyle(rsa, temp.resolve("rsa.key"));
    assertThat(Files.readString(key)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

    PrivateKey read = PemKeys.privateKey(key);

    assertThat(read.getEncoded()).isEqualTo(rsa.getEncoded());
  }

  @Test
  void encryptedClientKey_isInvalidSayingHowToDecrypt() throws Exception {
    Path key = Files.writeString(temp.resolve("enc.key"), "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + "MIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");

    BackendException e = failure(() -> PemKeys.privateKey(key));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("encrypted", "openssl pkey");
  }

  @Test
  void caFileAndCaDirectory_theFileWins() throws Exception {
    Path ca = pki.writeCa(certs.resolve("ca.pem"));
    Path otherDir = Files.createDirectories(certs.resolve("other"));
    TestPki.create("Other CA").writeCa(otherDir.resolve("other.pem"));
    start(server -> server.sslContext(serverContext("127.0.0.1")), allowCerts());

    // the directory alone does not trust Vault; with the file beside it only the file counts
    Map<String, String> withDir = with(attributes(OBJECTS), "vaultCADirectory", otherDir.toString());
    assertThat(failure(() -> rig.fetch(withDir)).kind()).isEqualTo(Kind.UNAVAILABLE);
    Material material = rig.fetch(with(withDir, "vaultCACertPath", ca.toString()));
    assertThat(text(material, "password")).isEqualTo("kv2-secret");
  }

  @Test
  void caFileWins_evenWhenTheDirectoryAlsoTrustsVault() throws Exception {
    Path ca = TestPki.create("Unrelated CA").writeCa(certs.resolve("unrelated.pem"));
    Path dir = Files.createDirectories(certs.resolve("vault-cas"));
    pki.writeCa(dir.resolve("vault.pem"));
    start(server -> server.sslContext(serverContext("127.0.0.1")), allowCerts());

    // before, file and directory were merged and this fetch succeeded
    BackendException e = failure(() -> rig.fetch(with(with(attributes(OBJECTS),
        "vaultCACertPath", ca.toString()), "vaultCADirectory", dir.toString())));

    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
  }

  @Test
  void skipTlsVerifyWrittenAsGoBool_isReadAsTrueAndRefusedAsTheOperatorsOptIn() throws Exception {
    start(server -> server.sslContext(serverContext("127.0.0.1")), allowCerts());

    BackendException e = failure(() -> rig.fetch(with(attributes(OBJECTS), "vaultSkipTLSVerify", "1")));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("\"1\" (true)", "operator's opt-in", "allowSkipTLSVerify=true");
    assertThat(rig.vault.requests()).isEmpty();
  }

  @Test
  void nodeWideNamespace_isUsedByVolumesWithoutOne() throws Exception {
    rig = VaultRig.start(config -> {
      config.put("vaultNamespace", "team-a/");
      return config;
    });
    rig.vault.addRole("team-a", "kubernetes", dev.passport.tools.vault.VaultRole.of("web", "shop", "web"));
    rig.vault.kvPut("team-a", "secret", "shop/db", Map.of("password", "in-namespace"));

    Material material = rig.fetch(attributes(OBJECTS));

    assertThat(text(material, "password")).isEqualTo("in-namespace");
    assertThat(rig.vault.requests()).allSatisfy(r -> assertThat(r.namespace()).isEqualTo("team-a"));
  }

  /** As {@code openssl ecparam -genkey} writes it: SEC1, BEGIN EC PRIVATE KEY, the curve named. */
  private static Path writeSec1(PrivateKey key, Path file) throws Exception {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
    ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
    ECPrivateKey sec1 = new ECPrivateKey(256, inner.getKey(),
        info.getPrivateKeyAlgorithm().getParameters());
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
    }
    return Files.writeString(file, out.toString());
  }

  /** JcaPEMWriter writes an RSA key as openssl does: PKCS#1, BEGIN RSA PRIVATE KEY. */
  private static Path writeOpensslStyle(PrivateKey key, Path file) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(key);
    }
    return Files.writeString(file, out.toString());
  }
}
