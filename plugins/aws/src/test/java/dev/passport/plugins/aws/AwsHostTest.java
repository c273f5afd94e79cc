package dev.passport.plugins.aws;

import dev.passport.tools.aws.FakeAws;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aws backend inside the real host, driven over the CSI socket by a fake kubelet, against
 * {@link FakeAws}: what kubelet's republish cadence costs AWS, and provider-aws's documented
 * SecretProviderClasses (README and examples/), their parameters given as the volume's
 * attributes exactly as the driver hands them to the provider, giving the files it documents.
 */
class AwsHostTest {

  static final String REGION = "us-east-1";
  static final String FAILOVER = "us-east-2";
  static final String ROLE = "arn:aws:iam::111122223333:role/nginx-irsa-deployment-role";
  static final String MY_SECRET = "{\"username\":\"memeuser\", \"password\":\"hunter2\"}";
  static final Duration HOST_REFRESH = Duration.ofMinutes(5);

  static ServiceAccountTokens tokens;

  @TempDir Path dir;
  FakeClock clock;
  FakeAws aws;
  PassportHost host;
  FakeKubelet kubelet;
  final Pod pod = Pods.pod("default", "nginx-irsa-deployment-0", "nginx-irsa-deployment-sa");

  @BeforeAll
  static void minter() {
    tokens = ServiceAccountTokens.create();
  }

  @BeforeEach
  void start() throws Exception {
    clock = FakeClock.at(Instant.now());
    aws = new FakeAws(tokens, clock);
    aws.annotate(pod.namespace(), pod.serviceAccount(), ROLE);
    aws.trust(ROLE, pod.serviceAccountUser());
    aws.associate(pod.serviceAccountUser(), ROLE);
    Map<String, String> config = aws.configWithAnnotations(dir);
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new AwsBackendFactory(), config)
        .clock(clock)
        .refreshInterval(HOST_REFRESH)
        .fetchTimeout(Duration.ofSeconds(20))
        .nodeId("node-1")
        .start();
    kubelet = FakeKubelet.connect(host.socket(), tokens, clock);
  }

  @AfterEach
  void stop() {
    kubelet.close();
    host.close();
    aws.close();
  }

  @Test
  void twentyRepublishes_pinnedVersionsAndUnchangedToken_oneExchangeAndOneReadPerObject() {
    String v1 = aws.putSecret(REGION, "db-password", "s3cret-db");
    aws.putSecret(REGION, "db-password", "newer");
    aws.putParameter(REGION, "/app/config", "cfg-1");
    MountedVolume volume = kubelet.mount(irsa(Map.of("region", REGION, "objects", """
        - objectName: "db-password"
          objectType: "secretsmanager"
          objectVersion: "%s"
        - objectName: "/app/config"
          objectType: "ssmparameter"
          objectVersion: "1"
        """.formatted(v1))));

    for (int i = 0; i < 20; i++) {
      // kubelet's pod sync: about a minute apart, well inside the token's 80 % rotation point
      clock.advance(Duration.ofSeconds(90));
      kubelet.republish(volume);
    }

    assertThat(volume.read("db-password")).isEqualTo("s3cret-db");
    assertThat(volume.read("_app_config")).isEqualTo("cfg-1");
    assertThat(aws.calls("AssumeRoleWithWebIdentity")).isEqualTo(1);
    assertThat(aws.reads("db-password")).isEqualTo(1);
    assertThat(aws.reads("/app/config:1")).isEqualTo(1);
    assertThat(aws.calls("GetServiceAccount")).isEqualTo(1);
  }

  @Test
  void republishes_currentVersion_rereadAtTheHostIntervalWithoutAnotherExchange() {
    aws.putSecret(REGION, "MySecret", "one");
    MountedVolume volume = kubelet.mount(irsa(Map.of("region", REGION, "objects", """
        - objectName: "MySecret"
          objectType: "secretsmanager"
        """)));
    aws.putSecret(REGION, "MySecret", "two");

    for (int i = 0; i < 8; i++) {
      clock.advance(Duration.ofSeconds(90));
      kubelet.republish(volume);
    }

    assertThat(volume.read("MySecret")).isEqualTo("two");
    assertThat(aws.reads("MySecret")).isBetween(2, 3);
    assertThat(aws.calls("AssumeRoleWithWebIdentity")).isEqualTo(1);
  }

  /** examples/ExampleSecretProviderClass-IRSA.yaml with README's MySecret: file MySecret. */
  @Test
  void providerAwsIrsaExample_mountsMySecretWithItsBytesAndMode0644() throws Exception {
    aws.putSecret(REGION, "MySecret", MY_SECRET);
    MountedVolume volume = kubelet.mount(irsa(Map.of("region", REGION, "objects", """
            - objectName: "MySecret"
              objectType: "secretsmanager"
        """)));

    assertThat(volume.readAll()).containsOnlyKeys("MySecret");
    assertThat(volume.read("MySecret")).isEqualTo(MY_SECRET);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
        volume.file("MySecret")))).isEqualTo("rw-r--r--");
  }

  /** examples/ExampleSecretProviderClass-PodIdentity.yaml: the same file, through the agent. */
  @Test
  void providerAwsPodIdentityExample_mountsMySecretThroughTheAgent() {
    aws.putSecret(REGION, "MySecret", MY_SECRET);
    MountedVolume volume = kubelet.mount(volume(Map.of("region", REGION, "objects", """
          - objectName: "MySecret"
            objectType: "secretsmanager"
        """, "usePodIdentity", "true"), AwsVolume.POD_IDENTITY_AUDIENCE));

    assertThat(volume.read("MySecret")).isEqualTo(MY_SECRET);
    assertThat(aws.calls("PodIdentity")).isEqualTo(1);
    assertThat(aws.calls("AssumeRoleWithWebIdentity")).isZero();
  }

  /** README's jmesPath example, its hyphen escaping, and pathTranslation's default. */
  @Test
  void providerAwsReadmeJmesPathAndPathTranslation_giveTheDocumentedFiles() {
    aws.putSecret(REGION, "MySecret", "{\"username\":\"testuser\",\"password\":\"testpassword\","
        + "\"hyphenated-path\":\"h\"}");
    aws.putParameter(REGION, "My/Path/Secret", "translated");
    MountedVolume volume = kubelet.mount(irsa(Map.of("region", REGION, "objects", """
            - objectName: "MySecret"
              objectType: "secretsmanager"
              jmesPath:
                  - path: "username"
                    objectAlias: "MySecretUsername"
                  - path: "password"
                    objectAlias: "MySecretPassword"
                  - path: '"hyphenated-path"'
                    objectAlias: '"hyphenated-alias"'
            - objectName: "My/Path/Secret"
              objectType: "ssmparameter"
        """)));

    assertThat(volume.readAll()).containsOnlyKeys("MySecret", "MySecretUsername",
        "MySecretPassword", "\"hyphenated-alias\"", "My_Path_Secret");
    assertThat(volume.read("MySecretUsername")).isEqualTo("testuser");
    assertThat(volume.read("MySecretPassword")).isEqualTo("testpassword");
    assertThat(volume.read("\"hyphenated-alias\"")).isEqualTo("h");
    assertThat(volume.read("My_Path_Secret")).isEqualTo("translated");
  }

  /**
   * tests/BasicTestMountSPC.yaml (provider-aws's integration test): SSM and Secrets Manager, an
   * alias, an ARN with a failover object, jmesPath fields written Path/ObjectAlias, failoverRegion.
   */
  @Test
  void providerAwsIntegrationSpc_givesItsFileNamesAndContents() {
    aws.putParameter(REGION, "ParameterStoreTest1", "ParameterStoreTest1Value");
    aws.putParameter(REGION, "ParameterStoreTestWithLongName", "ParameterStoreTest2Value");
    aws.putSecret(REGION, "SecretsManagerTest1", "SecretsManagerTest1Value");
    aws.putSecret(REGION, "SecretsManagerTest2", "SecretsManagerTest2Value");
    aws.putSecret(FAILOVER, "SecretsManagerTest2", "FailoverValue");
    aws.putParameter(REGION, "jsonSsm", "{\"username\":\"ParameterStoreUser\","
        + "\"password\":\"ParameterStorePassword\"}");
    aws.putSecret(REGION, "secretsManagerJson", "{\"username\":\"SecretsManagerUser\","
        + "\"password\":\"SecretsManagerPassword\"}");
    Map<String, String> attributes = new HashMap<>();
    attributes.put("region", REGION);
    attributes.put("failoverRegion", FAILOVER);
    attributes.put("objects", """
        - objectName: "ParameterStoreTest1"
          objectType: "ssmparameter"
        - objectName: "ParameterStoreTestWithLongName"
          objectAlias: "ParameterStoreTest2"
          objectType: "ssmparameter"
        - objectName: "SecretsManagerTest1"
          objectType: "secretsmanager"
        - objectName: arn:aws:secretsmanager:us-east-1:111122223333:secret:SecretsManagerTest2
          objectAlias: "SecretsManagerTest2"
          failoverObject:
            objectName: arn:aws:secretsmanager:us-east-2:111122223333:secret:SecretsManagerTest2
        - objectName: "jsonSsm"
          objectType: "ssmparameter"
          jmesPath:
              - Path: "username"
                ObjectAlias: "ssmUsername"
              - Path: "password"
                ObjectAlias: "ssmPassword"
        - objectName: "secretsManagerJson"
          objectType: "secretsmanager"
          jmesPath:
              - Path: "username"
                ObjectAlias: "secretsManagerUsername"
              - Path: "password"
                ObjectAlias: "secretsManagerPassword"
        """);
    MountedVolume volume = kubelet.mount(irsa(attributes));

    assertThat(volume.readAll()).containsOnly(
        Map.entry("ParameterStoreTest1", "ParameterStoreTest1Value"),
        Map.entry("ParameterStoreTest2", "ParameterStoreTest2Value"),
        Map.entry("SecretsManagerTest1", "SecretsManagerTest1Value"),
        Map.entry("SecretsManagerTest2", "SecretsManagerTest2Value"),
        Map.entry("jsonSsm", "{\"username\":\"ParameterStoreUser\","
            + "\"password\":\"ParameterStorePassword\"}"),
        Map.entry("ssmUsername", "ParameterStoreUser"),
        Map.entry("ssmPassword", "ParameterStorePassword"),
        Map.entry("secretsManagerJson", "{\"username\":\"SecretsManagerUser\","
            + "\"password\":\"SecretsManagerPassword\"}"),
        Map.entry("secretsManagerUsername", "SecretsManagerUser"),
        Map.entry("secretsManagerPassword", "SecretsManagerPassword"));
    assertThat(aws.calls("GetParameters")).as("three parameters, one batch").isEqualTo(1);
  }

  @Test
  void mount_missingSecret_answersNotFoundNamingIt() {
    Throwable e = catchThrowable(() -> kubelet.mount(irsa(Map.of("region", REGION, "objects", """
        - objectName: "missing"
          objectType: "secretsmanager"
        """))));

    assertThat(e).hasMessageStartingWith("NOT_FOUND: ").hasMessageContaining("missing");
  }

  @Test
  void mount_objectWithoutType_answersInvalidArgumentAsProviderAws() {
    Throwable e = catchThrowable(() -> kubelet.mount(irsa(Map.of("region", REGION, "objects", """
        - objectName: "MySecret"
        """))));

    assertThat(e).hasMessageStartingWith("INVALID_ARGUMENT: ")
        .hasMessageContaining("Must use objectType when a full ARN is not specified: MySecret");
  }

  @Test
  void mount_serviceAccountWithoutRoleAnnotation_answersNamingTheAnnotation() {
    Pod other = Pods.pod("default", "plain-0", "plain");
    Throwable e = catchThrowable(() -> kubelet.mount(PodVolume.of(other, "secrets",
        dir.resolve("kubelet"), awsVolume(Map.of("region", REGION, "objects", """
            - objectName: "MySecret"
              objectType: "secretsmanager"
            """)), Set.of(AwsVolume.IRSA_AUDIENCE))));

    assertThat(e).hasMessageStartingWith("FAILED_PRECONDITION: ")
        .hasMessageContaining("An IAM role must be associated with service account plain")
        .hasMessageContaining("eks.amazonaws.com/role-arn");
  }

  private PodVolume irsa(Map<String, String> attributes) {
    return volume(attributes, AwsVolume.IRSA_AUDIENCE);
  }

  private PodVolume volume(Map<String, String> attributes, String audience) {
    return PodVolume.of(pod, "secrets", dir.resolve("kubelet"), awsVolume(attributes),
        Set.of(audience));
  }

  private static Map<String, String> awsVolume(Map<String, String> attributes) {
    Map<String, String> volume = new HashMap<>(attributes);
    volume.put("backend", "aws");
    return volume;
  }
}
