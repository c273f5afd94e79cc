package dev.passport.plugins.azure;

import dev.passport.tools.azure.FakeKeyVault;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AzureBackendTest {

  @TempDir Path tempDir;
  AzureTestbed bed;
  Backend<AzureVolume> backend;

  @BeforeEach
  void start() throws Exception {
    bed = new AzureTestbed(tempDir);
    backend = bed.backend();
  }

  @AfterEach
  void stop() {
    backend.close();
    bed.close();
  }

  private AzureVolume volume(String... objects) throws BackendException {
    return backend.prepare(AzureTestbed.attributes(AzureTestbed.objects(objects)));
  }

  private static String text(Material material, String path) {
    return material.files().stream().filter(f -> f.path().equals(path)).findFirst()
        .map(f -> new String(f.content(), StandardCharsets.UTF_8)).orElseThrow(() ->
            new AssertionError("no file " + path + " in " + material.files()));
  }

  @Test
  void secret_latest_isReadAsThePodWithOneEntraExchange() throws Exception {
    bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cr3t");
    AzureVolume volume = volume("objectName: db-password\nobjectType: secret");

    Material material = backend.fetch(volume, bed.initial());

    assertThat(material.files()).extracting(MaterialFile::path).containsExactly("db-password");
    assertThat(text(material, "db-password")).isEqualTo("s3cr3t");
    assertThat(material.files().get(0).chosenMode()).isEmpty();
    assertThat(material.refreshAt()).isEmpty();
    assertThat(bed.entra.exchanges()).isEqualTo(1);
    assertThat(bed.entra.otherRequests()).as("no instance discovery with a custom authority")
        .isZero();
    assertThat(bed.vault.challenges()).isEqualTo(1);
  }

  @Test
  void twentyDueFetches_sameToken_oneEntraExchange() throws Exception {
    bed.vault.putSecret(AzureTestbed.VAULT, "api-key", "k1");
    AzureVolume volume = volume("objectName: api-key\nobjectType: secret");
    FetchRequest first = bed.initial();
    Material material = backend.fetch(volume, first);
    for (int i = 0; i < 19; i++) {
      material = backend.fetch(volume, FetchRequest.builder().volumeId(first.volumeId())
          .pod(first.pod()).tokens(first.tokens()).previous(java.util.Optional.of(material))
          .reason(FetchRequest.Reason.DUE).deadline(first.deadline()).build());
    }

    assertThat(bed.entra.exchanges()).isEqualTo(1);
    assertThat(bed.entra.tokenRequests()).isEqualTo(1);
    assertThat(bed.vault.reads("secrets", "api-key")).isEqualTo(20);
    assertThat(bed.vault.challenges()).isEqualTo(1);
  }

  @Test
  void tokenRotation_nothingDue_returnsPreviousWithoutReading() throws Exception {
    String version = bed.vault.putSecret(AzureTestbed.VAULT, "pinned", "v1");
    AzureVolume volume = volume("objectName: pinned\nobjectType: secret\nobjectVersion: "
        + version);
    Material material = backend.fetch(volume, bed.initial());
    assertThat(material.refreshAt()).contains(bed.clock.instant().plus(Duration.ofHours(24)));

    bed.clock.advance(Duration.ofMinutes(48));
    Material rotated = backend.fetch(volume, bed.request().previous(material)
        .reason(FetchRequest.Reason.TOKENS_ROTATED).build());

    assertThat(rotated).isSameAs(material);
    assertThat(bed.vault.reads("secrets", "pinned")).isEqualTo(1);
    assertThat(bed.entra.exchanges()).isEqualTo(1);
  }

  @Test
  void versionHistory_writesNewestFirstDirectory() throws Exception {
    bed.vault.putSecret(AzureTestbed.VAULT, "rotating", "v1");
    bed.vault.putSecret(AzureTestbed.VAULT, "rotating", "v2");
    bed.vault.putSecret(AzureTestbed.VAULT, "rotating", "v3");
    AzureVolume volume = volume("objectName: rotating\nobjectType: secret\n"
        + "objectVersionHistory: 2");

    Material material = backend.fetch(volume, bed.initial());

    assertThat(material.files()).extracting(MaterialFile::path)
        .containsExactly("rotating/0", "rotating/1");
    assertThat(text(material, "rotating/0")).isEqualTo("v3");
    assertThat(text(material, "rotating/1")).isEqualTo("v2");
    assertThat(material.refreshAt()).isEmpty();
  }

  @Test
  void keyObject_isThePublicKeyPem() throws Exception {
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
    generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    java.security.interfaces.ECPublicKey key =
        (java.security.interfaces.ECPublicKey) generator.generateKeyPair().getPublic();
    com.fasterxml.jackson.databind.node.ObjectNode jwk =
        new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
            .put("kty", "EC").put("crv", "P-256")
            .put("x", FakeKeyVault.b64url(fixed(key.getW().getAffineX())))
            .put("y", FakeKeyVault.b64url(fixed(key.getW().getAffineY())));
    bed.vault.putKey(AzureTestbed.VAULT, "signing", jwk);
    AzureVolume volume = volume("objectName: signing\nobjectType: key\nfilePermission: \"0440\"");

    Material material = backend.fetch(volume, bed.initial());

    assertThat(text(material, "signing")).isEqualTo(Formats.pem("PUBLIC KEY", key.getEncoded()));
    assertThat(material.files().get(0).mode()).isEqualTo(0440);
  }

  private static byte[] fixed(java.math.BigInteger n) {
    byte[] raw = n.toByteArray();
    byte[] out = new byte[32];
    int copy = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
    return out;
  }

  @Test
  void missingSecret_isNotFoundNamingTheObject() throws Exception {
    AzureVolume volume = volume("objectName: nope\nobjectType: secret");

    assertThatThrownBy(() -> backend.fetch(volume, bed.initial()))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(BackendException.Kind.NOT_FOUND);
          assertThat(e.getMessage()).contains("objectType:secret, objectName:nope")
              .contains("SecretNotFound");
        });
  }

  @Test
  void forbidden_isPermissionDeniedNamingTheClient() throws Exception {
    bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cr3t");
    bed.vault.deny(AzureTestbed.CLIENT_ID);
    AzureVolume volume = volume("objectName: db-password\nobjectType: secret");

    assertThatThrownBy(() -> backend.fetch(volume, bed.initial()))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(BackendException.Kind.PERMISSION_DENIED);
          assertThat(e.getMessage()).contains("objectName:db-password")
              .contains(AzureTestbed.CLIENT_ID).contains("Forbidden");
        });
  }

  @Test
  void unfederatedServiceAccount_isUnauthenticatedNamingTheAudience() throws Exception {
    bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cr3t");
    Map<String, String> attributes = AzureTestbed.attributes(
        AzureTestbed.objects("objectName: db-password\nobjectType: secret"));
    attributes.put("clientID", "00000000-0000-0000-0000-000000000001");
    AzureVolume volume = backend.prepare(attributes);
    FetchRequest request = bed.initial();
    String token = request.token(AzureVolume.AUDIENCE).token();

    assertThatThrownBy(() -> backend.fetch(volume, request))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(BackendException.Kind.UNAUTHENTICATED);
          assertThat(e.getMessage()).contains("api://AzureADTokenExchange")
              .contains("AADSTS700213")
              .doesNotContain(token);
        });
    // one: Entra's 400 is retried by no layer, and Key Vault's retry policy does not re-run a
    // failed token exchange (VaultClients.retryable; azure-core's default retried it twice, 3)
    assertThat(bed.entra.tokenRequests()).isEqualTo(1);
    assertThat(bed.vault.challenges()).isEqualTo(1);
  }

  @Test
  void keyVaultThrottlesTwice_theThirdAttemptReads() throws Exception {
    bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cr3t");
    AzureVolume volume = volume("objectName: db-password\nobjectType: secret");
    bed.vault.throttle(2);

    Material material = backend.fetch(volume, bed.initial());

    assertThat(text(material, "db-password")).isEqualTo("s3cr3t");
    assertThat(bed.vault.throttled()).isEqualTo(2);
    assertThat(bed.vault.reads("secrets", "db-password")).isEqualTo(1);
  }

  @Test
  void keyVaultKeepsThrottling_isResourceExhaustedAfterTwoRetries() throws Exception {
    bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cr3t");
    AzureVolume volume = volume("objectName: db-password\nobjectType: secret");
    bed.vault.throttle(1000);

    assertThatThrownBy(() -> backend.fetch(volume, bed.initial()))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED);
          assertThat(e.getMessage()).contains("objectName:db-password")
              .contains("Key Vault throttled the read").contains("Throttled");
        });
    // the first attempt and VaultClients' two retries (ExponentialBackoffOptions.setMaxRetries)
    assertThat(bed.vault.throttled()).isEqualTo(3);
    assertThat(bed.entra.exchanges()).isEqualTo(1);
  }

  @Test
  void entraThrottles_isResourceExhaustedNamingEntra() throws Exception {
    bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cr3t");
    AzureVolume volume = volume("objectName: db-password\nobjectType: secret");
    bed.entra.throttle(1000);

    assertThatThrownBy(() -> backend.fetch(volume, bed.initial()))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED);
          assertThat(e.getMessage()).contains("objectName:db-password")
              .contains("Entra ID throttled the token exchange");
        });
    // the credential's pipeline retries a 429 twice after its Retry-After (VaultClients.retries,
    // as Key Vault's); Key Vault's pipeline does not re-run the failed exchange: 3 requests.
    // Before: azure-identity's default pipeline retry (3; maxRetry is not used for it) times
    // Key Vault's re-runs (3) was 12.
    assertThat(bed.entra.tokenRequests()).isEqualTo(3);
    assertThat(bed.vault.challenges()).isEqualTo(1);
    assertThat(bed.vault.reads("secrets", "db-password")).isZero();
  }
}
