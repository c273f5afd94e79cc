package dev.passport.plugins.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.FetchRequests;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import dev.passport.tools.aws.FakeAws;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * AWS throttling as the services answer it, against {@link FakeAws}: Secrets Manager and SSM
 * send HTTP 400 with {@code {"__type":"ThrottlingException","message":"Rate exceeded"}}, STS an
 * {@code ErrorResponse} with code {@code Throttling}. The SDK retries each a bounded number of
 * times; the fetch then fails RESOURCE_EXHAUSTED (kubelet retries the publish later).
 */
class AwsThrottlingTest {

  static final String REGION = "us-east-1";
  static final String ROLE = "arn:aws:iam::111122223333:role/throttled";
  /**
   * The SDK's default retry mode (legacy: the plugin sets none, AWS_RETRY_MODE unset): the call
   * and 3 retries, each after a throttling backoff. Not a Passport loop: one fetch, one SDK call.
   */
  static final int ATTEMPTS = 4;

  final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  final FakeClock clock = FakeClock.at(Instant.now());
  final dev.passport.api.Pod pod = Pods.pod("default", "app-0", "app");
  FakeAws aws;
  Backend<AwsVolume> backend;

  @AfterEach
  void stop() {
    if (backend != null) {
      backend.close();
    }
    if (aws != null) {
      aws.close();
    }
  }

  @ParameterizedTest(name = "{0} answers {1}")
  @CsvSource(delimiter = '|', value = {
      "GetSecretValue            | ThrottlingException | secretsmanager | db",
      "GetParameters             | ThrottlingException | ssmparameter   | /app/db",
      "AssumeRoleWithWebIdentity | Throttling          | secretsmanager | db"})
  void throttled_isResourceExhausted_afterTheSdksAttempts(String operation, String code,
      String type, String name) throws Exception {
    BackendException e = throttled(operation, code,
        "- objectName: " + name + "\n  objectType: " + type);

    assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains(code + ": Rate exceeded");
    assertThat(aws.calls(operation)).isEqualTo(ATTEMPTS);
    if (operation.equals("AssumeRoleWithWebIdentity")) {
      assertThat(aws.calls("GetSecretValue")).as("nothing read without credentials").isZero();
    }
  }

  /** The fetch of {@code objects} while {@code operation} answers AWS's throttling error. */
  private BackendException throttled(String operation, String code, String objects)
      throws Exception {
    aws = new FakeAws(tokens, clock);
    aws.fail(operation, 400, code, "Rate exceeded");
    aws.trust(ROLE, pod.serviceAccountUser());
    aws.associate(pod.serviceAccountUser(), ROLE);
    aws.putSecret(REGION, "db", "s3cret");
    aws.putParameter(REGION, "/app/db", "s3cret");
    backend = new AwsBackendFactory().create(aws.config(),
        TestBackendContext.builder().clock(clock).build());
    return catchThrowableOfType(() -> backend.fetch(backend.prepare(Map.of("region", REGION,
        "roleArn", ROLE, "objects", objects)), FetchRequests.forPod(pod).clock(clock)
        .mintedToken(tokens, AwsVolume.IRSA_AUDIENCE, Duration.ofHours(1)).build()),
        BackendException.class);
  }
}
