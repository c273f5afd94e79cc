package dev.passport.tools.demo;

import dev.passport.tools.aws.FakeAws;
import java.util.Map;

/**
 * The aws plugin against {@link FakeAws}: IRSA (the pod's token for sts.amazonaws.com exchanged
 * by AssumeRoleWithWebIdentity), then SigV4-signed Secrets Manager and SSM reads.
 */
public final class AwsDemo implements BackendDemo {

  private static final String REGION = "us-east-1";
  private static final String ROLE = "arn:aws:iam::" + FakeAws.ACCOUNT + ":role/demo-web";
  private static final String SECRET = "app-db";
  private static final String PARAMETER = "app-config";
  // provider-aws's objects: the JSON secret as a file and its fields as two more, a parameter
  private static final String OBJECTS = """
      - objectName: "%s"
        objectType: "secretsmanager"
        jmesPath:
          - path: "username"
            objectAlias: "db-username"
          - path: "password"
            objectAlias: "db-password"
      - objectName: "%s"
        objectType: "ssmparameter"
      """.formatted(SECRET, PARAMETER);

  private FakeAws aws;

  @Override
  public String backend() {
    return "aws";
  }

  @Override
  public String start(DemoSetting setting) throws Exception {
    aws = new FakeAws(setting.tokens(), setting.clock());
    aws.trust(ROLE, "system:serviceaccount:" + NAMESPACE + ":" + SERVICE_ACCOUNT);
    aws.putSecret(REGION, SECRET, secret(DemoStory.FIRST_PASSWORD));
    aws.putParameter(REGION, PARAMETER, "log-level=info");
    setting.writeConfig(backend(), aws.config());
    return "local AWS endpoints at " + aws.base() + " (STS, Secrets Manager and SSM checking"
        + " SigV4 signatures; stand-ins for demos and tests, not AWS)";
  }

  private static String secret(String password) {
    return "{\"username\":\"app\",\"password\":\"" + password + "\"}";
  }

  @Override
  public Map<String, String> parameters() {
    return Map.of("region", REGION, "roleArn", ROLE, "objects", OBJECTS);
  }

  @Override
  public String audience() {
    return FakeAws.IRSA_AUDIENCE;
  }

  @Override
  public String rotate() {
    aws.putSecret(REGION, SECRET, secret(DemoStory.ROTATED_PASSWORD));
    return "Rotated the password in Secrets Manager (a new AWSCURRENT version of " + SECRET + ")";
  }

  @Override
  public String counts() {
    return "STS AssumeRoleWithWebIdentity " + exchanges()
        + ", Secrets Manager reads of " + SECRET + " " + aws.reads(SECRET)
        + ", SSM reads of " + PARAMETER + " " + aws.reads(PARAMETER);
  }

  @Override
  public long exchanges() {
    return aws.calls("AssumeRoleWithWebIdentity");
  }

  @Override
  public void close() {
    if (aws != null) {
      aws.close();
    }
  }
}
