package dev.passport.plugins.azure;

import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.conformance.BackendConformance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** plugin-conformance's suite for the azure plugin, against the fake Entra and Key Vault. */
class AzureConformanceTest extends BackendConformance {

  @TempDir Path fakesDir;
  AzureTestbed bed;
  String pinnedVersion;

  @BeforeEach
  void startFakes() throws Exception {
    bed = new AzureTestbed(fakesDir, tokens(), clock(), pod());
    // the suite's pods get a fresh UID each: the federation is by service account
    bed.entra.federate(AzureTestbed.TENANT, AzureTestbed.CLIENT_ID, pod().namespace(),
        pod().serviceAccount());
    pinnedVersion = bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cret-db");
  }

  @AfterEach
  void stopFakes() {
    bed.close();
  }

  @Override
  protected BackendFactory factory() {
    return new AzureBackendFactory();
  }

  @Override
  protected Map<String, String> config() {
    return bed.config();
  }

  @Override
  protected Map<String, String> attributes() {
    return AzureTestbed.attributes(AzureTestbed.objects(
        "objectName: db-password\nobjectType: secret\nobjectVersion: " + pinnedVersion
            + "\nobjectAlias: db/password",
        "objectName: api-key\nobjectType: secret"));
  }

  @Override
  protected Set<String> audiences() {
    return Set.of(AzureVolume.AUDIENCE);
  }

  @Override
  protected Set<String> backendSecrets() {
    return bed.entra.issuedTokens();
  }

  @Override
  protected void backendSucceeds() {
    bed.entra.recover();
    bed.vault.recover();
    bed.vault.putSecret(AzureTestbed.VAULT, "api-key", "key-7");
  }

  @Override
  protected void backendFails(BackendException.Kind kind) {
    backendSucceeds();
    switch (kind) {
      case UNAUTHENTICATED -> {
        bed.entra.refuse();
        bed.vault.fail(401, "Unauthorized", "AKV10032: Invalid issuer.");
      }
      case PERMISSION_DENIED -> bed.vault.fail(403, "Forbidden",
          "Caller is not authorized to perform action on resource.");
      case NOT_FOUND -> bed.vault.fail(404, "SecretNotFound",
          "A secret with (name/id) api-key was not found in this key vault.");
      case INVALID_ARGUMENT -> bed.vault.fail(400, "BadParameter",
          "The request URI contains an invalid or missing api-version.");
      case FAILED_PRECONDITION -> bed.vault.fail(409, "Conflict",
          "Secret api-key is currently in a deleted but recoverable state.");
      case UNAVAILABLE -> bed.vault.fail(503, "ServiceUnavailable",
          "The service is currently unavailable.");
      case DEADLINE_EXCEEDED -> bed.vault.fail(504, "GatewayTimeout",
          "The operation timed out.");
      case RESOURCE_EXHAUSTED -> bed.vault.fail(429, "Throttled",
          "Request was not processed because too many requests were received. Reason: A1");
      // a certificate's secret of a content type Key Vault does not write
      case INTERNAL -> bed.vault.putCertificateSecret(AzureTestbed.VAULT, "api-key", "x",
          "application/octet-stream");
      default -> throw new IllegalArgumentException("no azure failure for kind " + kind);
    }
  }

  @Override
  protected void backendStalls(Duration duration) {
    backendSucceeds();
    bed.vault.stall();
  }
}
