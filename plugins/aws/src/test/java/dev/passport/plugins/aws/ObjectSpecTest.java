package dev.passport.plugins.aws;

import dev.passport.tools.aws.FakeAws;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.plugins.aws.ObjectSpec.Descriptor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** provider-aws's objects parameter: file names, defaults and its validation messages. */
class ObjectSpecTest {

  static final List<String> ONE_REGION = List.of("us-east-1");

  static List<Descriptor> parse(String objects, String translate) throws BackendException {
    return ObjectSpec.parse(objects, translate, ONE_REGION, 100);
  }

  static String message(String objects) {
    return catchThrowableOfType(() -> parse(objects, ""), BackendException.class).getMessage();
  }

  @ParameterizedTest(name = "{0} with pathTranslation \"{1}\" -> {2}")
  @CsvSource(delimiter = '|', value = {
      "My/Path/Secret|''|My_Path_Secret",
      "My/Path/Secret|-|My-Path-Secret",
      "My/Path/Secret|False|My/Path/Secret",
      "/My/Path/Secret|false|My/Path/Secret",
      "/rooted|''|_rooted",
      "plain|''|plain"})
  void fileName_followsPathTranslation(String name, String translate, String file)
      throws Exception {
    Descriptor d = parse("- objectName: \"" + name + "\"\n  objectType: ssmparameter\n",
        translate).get(0);
    assertThat(d.fileName()).isEqualTo(file);
  }

  @Test
  void defaults_mode0644_typeFromArn_aliasNamesTheFile() throws Exception {
    List<Descriptor> d = parse("""
        - objectName: "arn:aws:secretsmanager:us-east-1:111122223333:secret:S-a1B2c3"
          objectAlias: "s"
        - objectName: "arn:aws:ssm:us-east-1:111122223333:parameter/p"
          objectAlias: "p"
        """, "");
    assertThat(d.get(0).type()).isEqualTo(ObjectSpec.Type.SECRETS_MANAGER);
    assertThat(d.get(1).type()).isEqualTo(ObjectSpec.Type.SSM_PARAMETER);
    assertThat(d.get(0).fileName()).isEqualTo("s");
    assertThat(d.get(0).mode()).isEqualTo(0644);
  }

  @Test
  void fieldNames_matchInAnyCaseAsEncodingJsonDoes() throws Exception {
    Descriptor d = parse("""
        - ObjectName: "S"
          OBJECTTYPE: "secretsmanager"
          jmespath:
            - Path: "a"
              ObjectAlias: "A"
        """, "").get(0);
    assertThat(d.objectName()).isEqualTo("S");
    assertThat(d.jmesPath()).extracting(ObjectSpec.JmesEntry::fileName).containsExactly("A");
  }

  @Test
  void invalidInput_isRefusedWithProviderAwsMessages() {
    assertThat(message("- objectType: secretsmanager\n")).isEqualTo("Object name must be specified");
    assertThat(message("- objectName: S\n"))
        .isEqualTo("Must use objectType when a full ARN is not specified: S");
    assertThat(message("- objectName: S\n  objectType: kms\n")).isEqualTo("Invalid objectType: kms");
    assertThat(message("- objectName: \"arn:aws:secretsmanager:us-west-2:1:secret:S\"\n"))
        .isEqualTo("ARN region must match region us-east-1: arn:aws:secretsmanager:us-west-2:1:secret:S");
    assertThat(message("- objectName: \"arn:aws:kms:us-east-1:1:key/k\"\n"))
        .isEqualTo("Invalid service in ARN: kms");
    assertThat(message("- objectName: S\n  objectType: ssmparameter\n  filePermission: \"644\"\n"))
        .isEqualTo("Invalid File Permission: 644");
    assertThat(catchThrowableOfType(() -> parse(
        "- objectName: ../etc\n  objectType: ssmparameter\n", "False"), BackendException.class))
        .hasMessage("path can not contain ../: ../etc");
    assertThat(message("""
        - objectName: S
          objectType: ssmparameter
          objectVersion: "1"
          objectVersionLabel: l
        """)).isEqualTo("ssm parameters can not specify both objectVersion and"
        + " objectVersionLabel: S");
    assertThat(message("""
        - objectName: S
          objectType: secretsmanager
        - objectName: S
          objectType: secretsmanager
        """)).isEqualTo("found descriptor with duplicate object name S, no object alias, and no"
        + " version label");
    assertThat(message("""
        - objectName: S
          objectType: secretsmanager
          jmesPath:
            - path: a
        """)).isEqualTo("Object alias must be specified for JMES object");
    assertThat(message("""
        - objectName: S
          objectType: secretsmanager
          failoverObject:
            objectName: T
        """)).isEqualTo("object alias must be specified for objects with failover entries: S");
    assertThat(message("- objectName: S\n  objectType: secretsmanager\n  objectVersion: 3\n"))
        .contains("objectVersion must be a string, got a number; quote it");
  }

  @Test
  void pathTranslation_longerThanOneCharacter_isRefused() {
    BackendException e = catchThrowableOfType(() -> parse("[]", "ab"), BackendException.class);
    assertThat(e.getMessage())
        .isEqualTo("pathTranslation must be either 'False' or a single character string");
  }

  @Test
  void objectsAndJmesEntries_pastMaxObjects_areRefusedNamingTheKey() {
    StringBuilder objects = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      objects.append("- objectName: s").append(i).append("\n  objectType: ssmparameter\n");
    }
    BackendException e = catchThrowableOfType(
        () -> ObjectSpec.parse(objects.toString(), "", ONE_REGION, 5), BackendException.class);
    assertThat(e.getMessage()).contains("more than 5").contains("maxObjects");
  }

  @Test
  void jmesPath_unsupportedSyntax_isRefusedAtPrepare() {
    assertThat(catchThrowableOfType(() -> JmesPath.compile("items[?x=='y'].name"),
        BackendException.class).getMessage()).startsWith("Invalid JMES Path: items[?x=='y'].name");
  }

  @Test
  void jmesPath_subset_findsValuesAndNullForMissing() throws Exception {
    var json = FakeAws.JSON.readTree("{\"a\":{\"b-c\":[\"x\",\"y\"]},\"n\":null}");
    assertThat(JmesPath.compile("a.\"b-c\"[0]").search(json).asText()).isEqualTo("x");
    assertThat(JmesPath.compile("a.\"b-c\"[-1]").search(json).asText()).isEqualTo("y");
    assertThat(JmesPath.compile("a.missing").search(json)).isNull();
    assertThat(JmesPath.compile("n").search(json)).isNull();
  }

  @Test
  void volume_withoutRegionOrRole_isRefusedSayingWhatToSet() {
    AwsConfig config = AwsConfig.defaults();
    BackendException noRegion = catchThrowableOfType(() -> AwsVolume.parse(
        Map.of("objects", "[]", "roleArn", "arn:aws:iam::111122223333:role/r"), config),
        BackendException.class);
    BackendException noRole = catchThrowableOfType(() -> AwsVolume.parse(
        Map.of("objects", "[]", "region", "us-east-1"), config), BackendException.class);
    BackendException badRegion = catchThrowableOfType(() -> AwsVolume.parse(
        Map.of("objects", "[]", "region", "evil.example.com:443/"), config),
        BackendException.class);

    assertThat(noRegion.getMessage()).contains("add region").contains("aws.properties");
    assertThat(noRole.getMessage()).contains("roleArn").contains("serviceAccountAnnotations=true");
    assertThat(badRegion.getMessage()).contains("give an AWS region id");
  }

  @Test
  void config_unknownKeyOrEndpointWithoutHost_isRefusedAtStartup() {
    assertThat(catchThrowableOfType(() -> AwsConfig.parse(Map.of("stsEndpiont", "x")),
        BackendException.class).getMessage()).contains("unknown key \"stsEndpiont\"");
    assertThat(catchThrowableOfType(() -> AwsConfig.parse(Map.of("ssmEndpoint", "ssm.{region}")),
        BackendException.class).getMessage()).contains("ssmEndpoint");
  }
}
