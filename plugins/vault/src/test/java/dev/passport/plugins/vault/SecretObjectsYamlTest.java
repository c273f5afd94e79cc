package dev.passport.plugins.vault;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code objects} read as vault-csi-provider's yaml.v3 reads it into {@code []config.Secret}
 * (issue 16 items 3, 7, 9, 12). Each expectation states yaml.v3's rule.
 */
class SecretObjectsYamlTest {

  private static SecretObject one(String yaml) throws BackendException {
    return SecretObjects.parse(yaml).get(0);
  }

  /** The Go value a plain scalar becomes in secretArgs (map[string]interface{}). */
  private static Object arg(String scalar) throws BackendException {
    return one("- {objectName: a, secretPath: pki/issue/r, method: PUT, secretArgs: {v: " + scalar
        + "}}").secretArgs().get("v");
  }

  private static BackendException invalid(String yaml) {
    BackendException e = catchThrowableOfType(BackendException.class, () -> SecretObjects.parse(yaml));
    assertThat(e).as(yaml).isNotNull();
    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    return e;
  }

  @Test
  void timestamp_staysTheStringWritten_notAJavaDate_item3() throws Exception {
    // yaml.v3 decodes a timestamp into interface{} as its text, for compatibility
    SecretObject object = one("""
        - objectName: cert
          secretPath: pki/issue/web
          method: PUT
          secretArgs:
            common_name: web.example
            not_after: 2030-01-01T00:00:00Z
            day: 2030-01-01
        """);
    assertThat(object.secretArgs()).containsEntry("not_after", "2030-01-01T00:00:00Z")
        .containsEntry("day", "2030-01-01");
    assertThat(new String(object.requestBody(), UTF_8)).isEqualTo(
        "{\"common_name\":\"web.example\",\"day\":\"2030-01-01\",\"not_after\":\"2030-01-01T00:00:00Z\"}");
  }

  @Test
  void yesNoOnOff_areStrings_onlyTrueFalseAreBools_item3() throws Exception {
    for (String word : new String[] {"yes", "no", "on", "off", "y", "n", "Yes", "ON", "Off"}) {
      assertThat(arg(word)).as(word).isEqualTo(word);
    }
    for (String word : new String[] {"true", "True", "TRUE"}) {
      assertThat(arg(word)).as(word).isEqualTo(true);
    }
    for (String word : new String[] {"false", "False", "FALSE"}) {
      assertThat(arg(word)).as(word).isEqualTo(false);
    }
    for (String word : new String[] {"~", "null", "Null", "NULL", "''"}) {
      assertThat(arg(word)).as(word).isEqualTo("''".equals(word) ? "" : null);
    }
  }

  @Test
  void integers_followGoParseIntBaseZero_withYaml11Octal() throws Exception {
    assertThat(arg("0755")).isEqualTo(493L);       // leading 0: octal, kept by yaml.v3
    assertThat(arg("0o755")).isEqualTo(493L);
    assertThat(arg("-0755")).isEqualTo(-493L);
    assertThat(arg("0x1F")).isEqualTo(31L);
    assertThat(arg("0b101")).isEqualTo(5L);
    assertThat(arg("1_000")).isEqualTo(1000L);     // underscores dropped first
    assertThat(arg("+12")).isEqualTo(12L);
    assertThat(arg("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
    assertThat(arg("18446744073709551615")).isEqualTo(new BigInteger("18446744073709551615"));
  }

  @Test
  void floats_followYamlV3_andAreSentAsGoWritesFloat64() throws Exception {
    assertThat(arg("1e3")).isEqualTo(1000.0);
    assertThat(arg("1.10")).isEqualTo(1.1);
    assertThat(arg(".5")).isEqualTo(0.5);
    assertThat(arg("08")).isEqualTo(8.0);          // not octal, not an int: ParseFloat reads it
    assertThat(arg("18446744073709551616")).isEqualTo(1.8446744073709552E19);
    assertThat(arg("1e400")).isEqualTo("1e400");   // ParseFloat overflows: a string
    SecretObject object = one("- {objectName: a, secretPath: p/w, method: PUT, secretArgs:"
        + " {ttl: 1e3, f: 1.10, big: 1e21, small: 1e-7}}");
    assertThat(new String(object.requestBody(), UTF_8))
        .isEqualTo("{\"big\":1e+21,\"f\":1.1,\"small\":1e-7,\"ttl\":1000}");
  }

  @Test
  void infinityOrNan_inSecretArgs_isInvalid_asJsonMarshalRefusesThem() {
    assertThat(invalid("- {objectName: a, secretPath: p/w, method: PUT, secretArgs: {x: .inf}}")
        .getMessage()).contains("objects[0].secretArgs.x").contains("quote it");
  }

  @Test
  void quotedAndTaggedScalars_areStrings() throws Exception {
    assertThat(arg("'0755'")).isEqualTo("0755");
    assertThat(arg("\"true\"")).isEqualTo("true");
    assertThat(arg("!!str 0755")).isEqualTo("0755");
    assertThat(arg("!!float 1")).isEqualTo(1.0);
  }

  @Test
  void stringFields_takeTheTextAsWritten_item3() throws Exception {
    // yaml.v3 sets a string field from the node's text: 0755 stays "0755", yes stays "yes"
    assertThat(one("- {objectName: yes, secretPath: kv/a}").objectName()).isEqualTo("yes");
    assertThat(one("- {objectName: 0755, secretPath: kv/a}").objectName()).isEqualTo("0755");
    assertThat(one("- {objectName: 1e3, secretPath: kv/a}").objectName()).isEqualTo("1e3");
    assertThat(one("- {objectName: true, secretPath: kv/a, secretKey: on}").secretKey())
        .contains("on");
    assertThat(invalid("- {objectName: ~, secretPath: kv/a}").getMessage())
        .contains("objects[0].objectName is required");
  }

  @Test
  void duplicateKeys_areInvalid_asYamlV3Refuses_item3() {
    assertThat(invalid("- {objectName: a, objectName: b, secretPath: kv/a}").getMessage())
        .contains("objects[0]").contains("mapping key \"objectName\" already defined");
    assertThat(invalid("""
        - objectName: a
          secretPath: pki/issue/r
          method: PUT
          secretArgs:
            ttl: 1h
            "ttl": 2h
        """).getMessage()).contains("objects[0].secretArgs").contains("\"ttl\" already defined at line 5");
    invalid("- {objectName: a, secretPath: p/w, method: PUT, secretArgs: {x: {k: 1, k: 2}}}");
  }

  @Test
  void nestedNonStringKey_isInvalid_asJsonMarshalRefusesMapInterfaceInterface() {
    assertThat(invalid("- {objectName: a, secretPath: p/w, method: PUT, secretArgs: {x: {1: a}}}")
        .getMessage()).contains("objects[0].secretArgs.x").contains("must be strings");
  }

  @Test
  void topLevelSecretArgsKeys_areTheirText() throws Exception {
    assertThat(one("- {objectName: a, secretPath: p/w, method: PUT, secretArgs: {1: a, yes: b}}")
        .secretArgs()).isEqualTo(Map.of("1", "a", "yes", "b"));
  }

  @Test
  void filePermission_isAYamlV3Integer() throws Exception {
    assertThat(one("- {objectName: a, secretPath: kv/a, filePermission: 0640}").mode()).contains(0640);
    assertThat(one("- {objectName: a, secretPath: kv/a, filePermission: 0o640}").mode()).contains(0640);
    assertThat(one("- {objectName: a, secretPath: kv/a, filePermission: 420}").mode()).contains(0644);
    assertThat(one("- {objectName: a, secretPath: kv/a, filePermission: 0624}").mode()).contains(0624);
    invalid("- {objectName: a, secretPath: kv/a, filePermission: 01777}");
    invalid("- {objectName: a, secretPath: kv/a, filePermission: yes}");
  }

  @Test
  void filePermissionZeroOrAbsent_leavesTheModeToTheHost_item7() throws Exception {
    // vault-csi-provider: 0 means the driver's default (0644); Passport: the host's default mode
    assertThat(one("- {objectName: a, secretPath: kv/a, filePermission: 0}").mode()).isEmpty();
    assertThat(one("- {objectName: a, secretPath: kv/a, filePermission: 0000}").mode()).isEmpty();
    assertThat(one("- {objectName: a, secretPath: kv/a, filePermission: ~}").mode()).isEmpty();
    assertThat(one("- {objectName: a, secretPath: kv/a}").mode()).isEqualTo(Optional.empty());
  }

  @Test
  void dotDotNames_areInvalidBeforeAnyVaultCall_item9() {
    assertThat(invalid("- {objectName: ..data, secretPath: kv/a}").getMessage())
        .contains("objects[0].objectName").contains("starts with \"..\"");
    invalid("- {objectName: dir/..x, secretPath: kv/a}");
  }

  @Test
  void fileDirectoryClash_isInvalidNamingBoth_item9() {
    assertThat(invalid("""
        - {objectName: tls, secretPath: kv/a}
        - {objectName: tls/ca.crt, secretPath: kv/b}
        """).getMessage()).contains("objects[1].objectName \"tls/ca.crt\"")
        .contains("the file of objects[0]");
  }

  @Test
  void overLongName_isInvalid_longestAllowedIsNameMax_item9() throws Exception {
    String ok = "a".repeat(255);
    assertThat(one("- {objectName: d/" + ok + ", secretPath: kv/a}").objectName()).endsWith(ok);
    assertThat(invalid("- {objectName: d/" + ok + "a, secretPath: kv/a}").getMessage())
        .contains("256 bytes").contains("at most 255");
    // bytes, not characters: 128 two-byte characters are 256 bytes
    invalid("- {objectName: " + "é".repeat(128) + ", secretPath: kv/a}");
  }

  @Test
  void methodList_isSentAsGetWithListTrue_item12() throws Exception {
    SecretObject object = one("- {objectName: keys, secretPath: secret/metadata/app, method: LIST}");
    assertThat(object.method()).isEqualTo("GET");
    assertThat(object.apiPath()).isEqualTo("secret/metadata/app?list=true");
  }

  @Test
  void pathWithSpaces_isPercentEncoded_asGoNetUrl_item12() throws Exception {
    assertThat(one("- {objectName: a, secretPath: 'secret/data/my app'}").apiPath())
        .isEqualTo("secret/data/my%20app");
    assertThat(one("- {objectName: a, secretPath: 'kv/a#b!é'}").apiPath())
        .isEqualTo("kv/a%23b%21%C3%A9");
    // the query is parsed and re-encoded as url.Values.Encode: sorted by key, spaces as +
    assertThat(one("- {objectName: a, secretPath: 'kv/a?version=2&b=x y'}").apiPath())
        .isEqualTo("kv/a?b=x+y&version=2");
  }

  @Test
  void ignoredLegacyParameters_areAcceptedAndReported_item12() throws Exception {
    Map<String, String> attributes = new java.util.HashMap<>(Map.of("roleName", "r",
        "objects", "- {objectName: a, secretPath: kv/a}", "vaultCAPem", "-----BEGIN",
        "kubernetesServiceAccountPath", "/var/run/secrets"));
    VaultAttributes parsed = VaultAttributes.parse(attributes,
        VaultPluginConfig.parse(Map.of("vaultAddress", "https://vault:8200")));
    assertThat(parsed.ignored()).containsExactly("kubernetesServiceAccountPath", "vaultCAPem");
  }

  @Test
  void aliasBomb_isInvalid_withBoundedWork() {
    String ten = "[" + String.join(", ", java.util.Collections.nCopies(10, "*l%d")) + "]";
    StringBuilder yaml = new StringBuilder("""
        - objectName: a
          secretPath: pki/issue/r
          method: PUT
          secretArgs:
            l0: &l0 [x, x, x, x, x, x, x, x, x, x]
        """);
    for (int level = 1; level <= 6; level++) {
      yaml.append("    l").append(level).append(": &l").append(level).append(' ')
          .append(ten.replace("%d", String.valueOf(level - 1))).append('\n');
    }
    assertThat(invalid(yaml.toString()).getMessage()).contains("more than 100000 values");
  }
}
