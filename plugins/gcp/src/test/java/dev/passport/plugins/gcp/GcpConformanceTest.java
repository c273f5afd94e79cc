package dev.passport.plugins.gcp;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.conformance.BackendConformance;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** plugin-conformance's suite for the gcp plugin, against the fake STS and Secret Manager. */
class GcpConformanceTest extends BackendConformance {

  static final String PINNED = "projects/test-project/secrets/db-password/versions/3";
  static final String LATEST = "projects/test-project/secrets/api-key/versions/latest";

  @TempDir Path fakesDir;
  GcpTestbed bed;

  @BeforeEach
  void startFakes() throws Exception {
    bed = new GcpTestbed(fakesDir, tokens(), clock());
  }

  @AfterEach
  void stopFakes() throws Exception {
    bed.close();
  }

  @Override
  protected BackendFactory factory() {
    return new GcpBackendFactory();
  }

  @Override
  protected Map<String, String> config() {
    return bed.config();
  }

  @Override
  protected Map<String, String> attributes() {
    Map<String, String> attributes = new HashMap<>(GcpTestbed.secretsAttribute(
        PINNED, "db/password", LATEST, "api-key"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, GcpTestbed.SERVICE_ACCOUNT);
    return attributes;
  }

  @Override
  protected Set<String> audiences() {
    return Set.of(GcpTestbed.AUDIENCE);
  }

  /**
   * The Google access tokens the fake STS and IAM Credentials minted: the production-logging run
   * proves that neither reaches the driver's log (issue 13 found both there, at INFO).
   */
  @Override
  protected Set<String> backendSecrets() {
    return bed.auth.issuedTokens();
  }

  @Override
  protected void backendSucceeds() {
    bed.auth.recover();
    bed.global.recover();
    bed.global.put(PINNED, "s3cret-db".getBytes(UTF_8));
    bed.global.put(LATEST, "projects/123/secrets/api-key/versions/7", "key-7".getBytes(UTF_8));
  }

  @Override
  protected void backendFails(BackendException.Kind kind) {
    backendSucceeds();
    // auth failures are set at both ends: STS/IAM for a first publish, Secret Manager for a
    // republish whose Google token is still cached and so never reaches STS/IAM again
    switch (kind) {
      case UNAUTHENTICATED -> {
        bed.auth.failSts(400, "invalid_grant", "The token is not valid.");
        bed.global.fail(LATEST, Status.UNAUTHENTICATED.withDescription(
            "Request had invalid authentication credentials."));
      }
      case PERMISSION_DENIED -> {
        bed.auth.failIam(403, "PERMISSION_DENIED",
            "Permission 'iam.serviceAccounts.getAccessToken' denied on resource.");
        bed.global.fail(LATEST, Status.PERMISSION_DENIED.withDescription(
            "Permission 'secretmanager.versions.access' denied for resource."));
      }
      case NOT_FOUND -> bed.global.fail(LATEST, Status.NOT_FOUND.withDescription(
          "Secret [projects/123/secrets/api-key] not found or has no versions."));
      case INVALID_ARGUMENT -> bed.global.fail(LATEST, Status.INVALID_ARGUMENT.withDescription(
          "Invalid resource field value in the request."));
      case FAILED_PRECONDITION -> bed.global.fail(LATEST, Status.FAILED_PRECONDITION
          .withDescription("Secret Version [projects/123/secrets/api-key/versions/7] is in"
              + " DISABLED state."));
      case UNAVAILABLE -> bed.global.fail(LATEST, Status.UNAVAILABLE.withDescription(
          "The service is currently unavailable."));
      case DEADLINE_EXCEEDED -> bed.global.fail(LATEST, Status.DEADLINE_EXCEEDED.withDescription(
          "Deadline exceeded in the Secret Manager front end."));
      case RESOURCE_EXHAUSTED -> bed.global.fail(LATEST, Status.RESOURCE_EXHAUSTED.withDescription(
          "Quota exceeded for quota metric 'Access requests' of service"
              + " secretmanager.googleapis.com."));
      case INTERNAL -> bed.global.putCorrupted(PINNED, "s3cret-db".getBytes(UTF_8));
      default -> throw new IllegalArgumentException("no gcp failure for kind " + kind);
    }
  }

  @Override
  protected void backendStalls(Duration duration) {
    // the fake holds calls until it closes; the suite only needs them to outlast the fetch timeout
    backendSucceeds();
    bed.global.stall();
  }
}
