package dev.passport.plugins.aws;

import dev.passport.tools.aws.FakeAws;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.conformance.BackendConformance;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** plugin-conformance's suite for the aws plugin, against {@link FakeAws}. */
class AwsConformanceTest extends BackendConformance {

  static final String REGION = "us-east-1";
  static final String ROLE = "arn:aws:iam::111122223333:role/conformance";
  static final String PINNED = "db-password";
  static final String CURRENT = "/app/api-key";

  FakeAws aws;
  String pinnedVersion;

  @BeforeEach
  void startFakes() throws Exception {
    aws = new FakeAws(tokens(), clock());
    aws.trust(ROLE, pod().serviceAccountUser());
  }

  @AfterEach
  void stopFakes() {
    aws.close();
  }

  @Override
  protected BackendFactory factory() {
    return new AwsBackendFactory();
  }

  @Override
  protected Map<String, String> config() {
    return aws.config();
  }

  @Override
  protected Map<String, String> attributes() {
    return Map.of("region", REGION, "roleArn", ROLE, "objects", """
        - objectName: "db-password"
          objectType: "secretsmanager"
          objectVersionLabel: "AWSCURRENT"
          objectAlias: "db/password"
        - objectName: "/app/api-key"
          objectType: "ssmparameter"
          jmesPath:
            - path: "key"
              objectAlias: "api-key"
        """, "pathTranslation", "False");
  }

  @Override
  protected Set<String> audiences() {
    return Set.of(AwsVolume.IRSA_AUDIENCE);
  }

  /** The temporary credentials STS issued and the values handed out never reach a log. */
  @Override
  protected Set<String> backendSecrets() {
    return new HashSet<>(aws.secretsHandedOut());
  }

  @Override
  protected void backendSucceeds() {
    aws.recover();
    if (pinnedVersion == null) {
      pinnedVersion = aws.putSecret(REGION, PINNED, "s3cret-db");
      aws.putParameter(REGION, CURRENT, "{\"key\":\"key-7\"}");
    }
  }

  @Override
  protected void backendFails(BackendException.Kind kind) {
    backendSucceeds();
    switch (kind) {
      case UNAUTHENTICATED -> {
        aws.fail("AssumeRoleWithWebIdentity", 400, "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider");
        aws.fail("GetSecretValue", 400, "ExpiredTokenException",
            "The security token included in the request is expired");
      }
      case PERMISSION_DENIED -> aws.fail(PINNED, 400, "AccessDeniedException",
          "User is not authorized to perform: secretsmanager:GetSecretValue");
      case NOT_FOUND -> aws.fail(PINNED, 400, "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret.");
      case INVALID_ARGUMENT -> aws.fail(PINNED, 400, "InvalidParameterException",
          "You provided an invalid value for a parameter.");
      case FAILED_PRECONDITION -> aws.fail(PINNED, 400, "InvalidRequestException",
          "You can't perform this operation on the secret because it was marked for deletion.");
      case UNAVAILABLE -> aws.fail(PINNED, 503, "ServiceUnavailable",
          "Service is unavailable.");
      // what an AWS front end answers when the request did not arrive in time
      case DEADLINE_EXCEEDED -> aws.fail(PINNED, 408, "RequestTimeoutException",
          "Request timed out.");
      case RESOURCE_EXHAUSTED -> aws.fail(PINNED, 400, "ThrottlingException", "Rate exceeded");
      case INTERNAL -> aws.corruptParameter(CURRENT);
      default -> throw new IllegalArgumentException("no aws failure for kind " + kind);
    }
  }

  @Override
  protected void backendStalls(Duration duration) {
    backendSucceeds();
    aws.stall();
  }
}
