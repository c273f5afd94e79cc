package dev.passport.plugins.vault;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bytes of one file from one Vault answer, as vault-csi-provider's {@code getSecret} writes
 * them (issue 16 items 2, 6 and 8). Expected bytes follow from Go's rules, stated per test.
 */
class VaultContentTest {

  /** A KV v2 read as Vault 1.15+ answers it (mount_type included). */
  private static final String KV2 = "{\"request_id\":\"6a1f2d1e-0b5c-4a57-9d43-1f6a2e7b8c90\","
      + "\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":0,"
      + "\"data\":{\"data\":{\"bar\":\"x<y>&z\",\"n\":1e3,\"f\":1.10,\"big\":12345678901234567890,"
      + "\"nil\":null,\"obj\":{\"b\":2,\"a\":1},\"list\":[1,\"two\"],\"b64\":\"aGVsbG8=\","
      + "\"urlsafe\":\"-_-_\",\"nopad\":\"aGVsbG8\",\"wrapped\":\"aGVs\\nbG8=\",\"hex\":\"48656C6c6f\","
      + "\"hexspace\":\" 4865 \"},"
      + "\"metadata\":{\"created_time\":\"2026-11-26T12:00:00.123456789Z\",\"custom_metadata\":null,"
      + "\"deletion_time\":\"\",\"destroyed\":false,\"version\":3}},"
      + "\"wrap_info\":null,\"warnings\":null,\"auth\":null,\"mount_type\":\"kv\"}";

  private static String content(String answer, String objectYaml) throws Exception {
    return new String(bytes(answer, objectYaml), UTF_8);
  }

  private static byte[] bytes(String answer, String objectYaml) throws Exception {
    SecretObject object = SecretObjects.parse(objectYaml).get(0);
    return VaultBackend.content(object, 0, GoJson.read(answer.getBytes(UTF_8)));
  }

  private static BackendException failure(String answer, String objectYaml) {
    return catchThrowableOfType(BackendException.class, () -> bytes(answer, objectYaml));
  }

  @Test
  void wholeAnswer_isJsonMarshalOfApiSecret() throws Exception {
    // struct field order (request_id, lease_id, lease_duration, renewable, data, warnings, auth,
    // wrap_info, mount_type), not Vault's; auth and wrap_info omitempty (nil: left out), warnings
    // not (null); data's keys sorted; numbers as Vault wrote them (UseNumber); HTML escaped
    assertThat(content(KV2, "- {objectName: all, secretPath: secret/data/app}")).isEqualTo(
        "{\"request_id\":\"6a1f2d1e-0b5c-4a57-9d43-1f6a2e7b8c90\",\"lease_id\":\"\","
            + "\"lease_duration\":0,\"renewable\":false,\"data\":{\"data\":{\"b64\":\"aGVsbG8=\","
            + "\"bar\":\"x\\u003cy\\u003e\\u0026z\",\"big\":12345678901234567890,\"f\":1.10,"
            + "\"hex\":\"48656C6c6f\",\"hexspace\":\" 4865 \",\"list\":[1,\"two\"],\"n\":1e3,"
            + "\"nil\":null,\"nopad\":\"aGVsbG8\",\"obj\":{\"a\":1,\"b\":2},\"urlsafe\":\"-_-_\","
            + "\"wrapped\":\"aGVs\\nbG8=\"},\"metadata\":{\"created_time\":\"2026-11-26T12:00:00.123456789Z\","
            + "\"custom_metadata\":null,\"deletion_time\":\"\",\"destroyed\":false,\"version\":3}},"
            + "\"warnings\":null,\"mount_type\":\"kv\"}");
  }

  @Test
  void wholeAnswer_htmlInAStringValue_isEscaped() throws Exception {
    String answer = "{\"data\":{\"k\":\"x<y>&z\"}}";
    assertThat(content(answer, "- {objectName: all, secretPath: kv/app}")).isEqualTo(
        "{\"request_id\":\"\",\"lease_id\":\"\",\"lease_duration\":0,\"renewable\":false,"
            + "\"data\":{\"k\":\"x\\u003cy\\u003e\\u0026z\"},\"warnings\":null}");
  }

  @Test
  void wholeAnswer_withAuth_writesEveryAuthFieldInStructOrder() throws Exception {
    String answer = "{\"auth\":{\"renewable\":true,\"client_token\":\"t\",\"policies\":[\"a\"],"
        + "\"metadata\":{\"z\":\"1\",\"a\":null},\"lease_duration\":60,\"extra\":1},"
        + "\"data\":{},\"warnings\":[\"w<\"]}";
    assertThat(content(answer, "- {objectName: all, secretPath: auth/token/create, method: POST}"))
        .isEqualTo("{\"request_id\":\"\",\"lease_id\":\"\",\"lease_duration\":0,\"renewable\":false,"
            + "\"data\":{},\"warnings\":[\"w\\u003c\"],\"auth\":{\"client_token\":\"t\","
            + "\"accessor\":\"\",\"policies\":[\"a\"],\"token_policies\":null,"
            + "\"identity_policies\":null,\"metadata\":{\"a\":\"\",\"z\":\"1\"},\"orphan\":false,"
            + "\"entity_id\":\"\",\"lease_duration\":60,\"renewable\":true,"
            + "\"mfa_requirement\":null}}");
  }

  @Test
  void wholeAnswer_withWrapInfo_writesGoTimeFormat() throws Exception {
    String answer = "{\"data\":{\"a\":1},\"wrap_info\":{\"token\":\"t\",\"ttl\":300,"
        + "\"creation_time\":\"2026-11-26T12:00:00.500000000+00:00\",\"creation_path\":\"p\"}}";
    assertThat(content(answer, "- {objectName: all, secretPath: kv/app}")).isEqualTo(
        "{\"request_id\":\"\",\"lease_id\":\"\",\"lease_duration\":0,\"renewable\":false,"
            + "\"data\":{\"a\":1},\"warnings\":null,\"wrap_info\":{\"token\":\"t\",\"accessor\":\"\","
            + "\"ttl\":300,\"creation_time\":\"2026-11-26T12:00:00.5Z\",\"creation_path\":\"p\","
            + "\"wrapped_accessor\":\"\"}}");
  }

  @Test
  void answerWithoutDataWrapper_becomesTheData_asParseSecretDoes() throws Exception {
    String answer = "{\"keys\":[\"b\",\"a\"],\"n\":1}";
    assertThat(content(answer, "- {objectName: all, secretPath: kv/list}")).isEqualTo(
        "{\"request_id\":\"\",\"lease_id\":\"\",\"lease_duration\":0,\"renewable\":false,"
            + "\"data\":{\"keys\":[\"b\",\"a\"],\"n\":1},\"warnings\":null}");
    assertThat(content(answer, "- {objectName: keys, secretPath: kv/list, secretKey: keys}"))
        .isEqualTo("[\"b\",\"a\"]");
  }

  @Test
  void answerWithFieldOfTheWrongType_isInternal_asGoDecodingFails() {
    BackendException e = failure("{\"lease_duration\":\"60\",\"data\":{}}",
        "- {objectName: all, secretPath: kv/app}");
    assertThat(e.kind()).isEqualTo(Kind.INTERNAL);
    assertThat(e.getMessage()).contains("lease_duration");
  }

  @Test
  void noData_isNotFound_asVaultCsiProviderReportsAnEmptyResponse() {
    assertThat(failure("{\"request_id\":\"r\",\"data\":null}", "- {objectName: a, secretPath: kv/a}")
        .kind()).isEqualTo(Kind.NOT_FOUND);
  }

  @Test
  void secretKey_stringValue_isWrittenRaw() throws Exception {
    assertThat(content(KV2, "- {objectName: a, secretPath: secret/data/app, secretKey: bar}"))
        .isEqualTo("x<y>&z");
  }

  @Test
  void secretKey_nonStringValues_areJsonMarshal() throws Exception {
    String object = "- {objectName: a, secretPath: secret/data/app, secretKey: %s}";
    assertThat(content(KV2, object.formatted("n"))).isEqualTo("1e3");
    assertThat(content(KV2, object.formatted("f"))).isEqualTo("1.10");
    assertThat(content(KV2, object.formatted("big"))).isEqualTo("12345678901234567890");
    assertThat(content(KV2, object.formatted("obj"))).isEqualTo("{\"a\":1,\"b\":2}");
    assertThat(content(KV2, object.formatted("list"))).isEqualTo("[1,\"two\"]");
  }

  @Test
  void secretKey_nullValue_writesNull_item8() throws Exception {
    assertThat(content(KV2, "- {objectName: a, secretPath: secret/data/app, secretKey: nil}"))
        .isEqualTo("null");
  }

  @Test
  void secretKey_kv2_isLookedUpOnlyInDataData() {
    // keyFromData: data.data is a map, so data's own keys (metadata) are not searched
    BackendException e = failure(KV2, "- {objectName: a, secretPath: secret/data/app, secretKey: metadata}");
    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
    assertThat(e.getMessage()).contains("\"metadata\"").contains("keys present: [b64, bar, big,");
  }

  @Test
  void secretKey_dataDataNotAMap_looksInData() throws Exception {
    assertThat(content("{\"data\":{\"data\":\"plain\",\"k\":\"v\"}}",
        "- {objectName: a, secretPath: kv/app, secretKey: k}")).isEqualTo("v");
  }

  @Test
  void encodingWithoutSecretKey_isIgnored_item6() throws Exception {
    // getSecret returns the whole JSON before decodeValue runs
    assertThat(content("{\"data\":{\"k\":\"aGVsbG8=\"}}",
        "- {objectName: a, secretPath: kv/app, encoding: base64}"))
        .startsWith("{\"request_id\":\"\"");
  }

  @Test
  void base64_isStrictStandardWithPadding_butSkipsNewlines_item6() throws Exception {
    String object = "- {objectName: a, secretPath: secret/data/app, secretKey: %s, encoding: base64}";
    assertThat(content(KV2, object.formatted("b64"))).isEqualTo("hello");
    // Go's decoder ignores \r and \n
    assertThat(content(KV2, object.formatted("wrapped"))).isEqualTo("hello");
    for (String key : List.of("urlsafe", "nopad", "hexspace")) {
      BackendException e = failure(KV2, object.formatted(key));
      assertThat(e.kind()).as(key).isEqualTo(Kind.FAILED_PRECONDITION);
      assertThat(e.getMessage()).contains("not valid base64");
    }
  }

  @Test
  void hex_isStrict_noTrimming_item6() throws Exception {
    String object = "- {objectName: a, secretPath: secret/data/app, secretKey: %s, encoding: hex}";
    assertThat(content(KV2, object.formatted("hex"))).isEqualTo("Hello");
    assertThat(failure(KV2, object.formatted("hexspace")).kind()).isEqualTo(Kind.FAILED_PRECONDITION);
  }

  @Test
  void encodingUtf8WithoutDash_isRefused_item6() {
    BackendException e = catchThrowableOfType(BackendException.class, () -> SecretObjects.parse(
        "- {objectName: a, secretPath: kv/a, secretKey: k, encoding: utf8}"));
    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("objects[0].encoding").contains("utf-8, base64 or hex");
  }

  @Test
  void encodingNames_ignoreCase_asStringsEqualFold() throws Exception {
    assertThat(content(KV2, "- {objectName: a, secretPath: secret/data/app, secretKey: b64,"
        + " encoding: BaSe64}")).isEqualTo("hello");
    assertThat(Base64.getEncoder().encodeToString(bytes(KV2,
        "- {objectName: a, secretPath: secret/data/app, secretKey: b64, encoding: UTF-8}")))
        .isEqualTo(Base64.getEncoder().encodeToString("aGVsbG8=".getBytes(UTF_8)));
  }
}
