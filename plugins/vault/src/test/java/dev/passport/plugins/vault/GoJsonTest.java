package dev.passport.plugins.vault;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Go's {@code encoding/json} as vault-csi-provider uses it (Go 1.26, vault/api v1.23.0). Every
 * expected string is the exact output of Go for the same input, with the rule that produces it.
 */
class GoJsonTest {

  /** Vault's answer decoded with UseNumber (api.ParseSecret), then json.Marshal'd. */
  private static String roundTrip(String json) throws Exception {
    return new String(GoJson.marshal(GoJson.read(json.getBytes(UTF_8))), UTF_8);
  }

  private static String go(Object value) {
    StringBuilder out = new StringBuilder();
    GoJson.appendGo(out, value);
    return out.toString();
  }

  private static String goFloat(double value) {
    StringBuilder out = new StringBuilder();
    GoJson.appendGoFloat(out, value);
    return out.toString();
  }

  @Test
  void vaultNumbers_keepTheirLiteral_becauseParseSecretUsesUseNumber() throws Exception {
    // json.Number marshals as its text: no float64 round trip, no precision lost
    assertThat(roundTrip("[1e3,1E3,1.10,-0,0.1,12345678901234567890123456789,1.0e-7,5e-324]"))
        .isEqualTo("[1e3,1E3,1.10,-0,0.1,12345678901234567890123456789,1.0e-7,5e-324]");
  }

  @Test
  void objectKeys_areSortedByUtf8Bytes_notInVaultsOrder() throws Exception {
    assertThat(roundTrip("{\"b\":1,\"a\":{\"z\":true,\"y\":null},\"A\":[]}"))
        .isEqualTo("{\"A\":[],\"a\":{\"y\":null,\"z\":true},\"b\":1}");
    // U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16
    assertThat(roundTrip("{\"\\ud83d\\ude00\":1,\"\\uff61\":2}"))
        .isEqualTo("{\"\uff61\":2,\"\ud83d\ude00\":1}");
  }

  @Test
  void htmlCharacters_areEscaped_asJsonMarshalsWithEscapeHtml() throws Exception {
    assertThat(roundTrip("{\"x<y>&z\":\"x<y>&z\"}"))
        .isEqualTo("{\"x\\u003cy\\u003e\\u0026z\":\"x\\u003cy\\u003e\\u0026z\"}");
  }

  @Test
  void lineAndParagraphSeparators_areEscaped() throws Exception {
    assertThat(roundTrip("\"a\u2028b\u2029c\"")).isEqualTo("\"a\\u2028b\\u2029c\"");
  }

  @Test
  void controlCharacters_useGo122ShortEscapes_elseLowerCaseHex() throws Exception {
    // Go 1.22+: \b and \f short; \n \r \t short; the rest as a lower-case 4-digit hex escape; DEL is not escaped
    assertThat(roundTrip("\"\\u0000\\u0001\\b\\f\\n\\r\\t\\u001b\\u001f\\u007f\""))
        .isEqualTo("\"\\u0000\\u0001\\b\\f\\n\\r\\t\\u001b\\u001f\u007f\"");
  }

  @Test
  void quotesBackslashesAndSlashes_asGoWritesThem() throws Exception {
    // "\/" is read as "/" and written bare; " and \ are the only other escapes
    assertThat(roundTrip("\"q\\\"b\\\\s\\/\"")).isEqualTo("\"q\\\"b\\\\s/\"");
  }

  @Test
  void nonAscii_isWrittenAsUtf8_andALoneSurrogateAsReplacementCharacter() throws Exception {
    assertThat(GoJson.marshal(GoJson.read("\"é€\\ud83d\\ude00\"".getBytes(UTF_8))))
        .isEqualTo("\"é€\ud83d\ude00\"".getBytes(UTF_8));
    // Go's decoder turns an unpaired \ud800 into U+FFFD, which its encoder writes as UTF-8
    assertThat(GoJson.marshal(GoJson.read("\"a\\ud800b\"".getBytes(UTF_8))))
        .isEqualTo(new byte[] {'"', 'a', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD, 'b', '"'});
  }

  @Test
  void emptyContainersAndLiterals_areCompact() throws Exception {
    assertThat(roundTrip(" { \"a\" : [ ] , \"b\" : { } , \"c\" : [ true , false , null ] } "))
        .isEqualTo("{\"a\":[],\"b\":{},\"c\":[true,false,null]}");
  }

  @Test
  void duplicateKeys_lastWins_asGoDecodesIntoAMap() throws Exception {
    assertThat(roundTrip("{\"a\":1,\"a\":2}")).isEqualTo("{\"a\":2}");
  }

  @Test
  void trailingData_isIgnored_asGoDecoderDecodeReadsOneValue() throws Exception {
    assertThat(roundTrip("{\"a\":1} trailing")).isEqualTo("{\"a\":1}");
  }

  @Test
  void readNumbers_stillReadAsNumbers_forLeaseFields() throws Exception {
    var node = GoJson.read("{\"lease_duration\":3600,\"v\":1.50}".getBytes(UTF_8));
    assertThat(node.path("lease_duration").asLong(0)).isEqualTo(3600);
    assertThat(node.path("lease_duration").isIntegralNumber()).isTrue();
    assertThat(node.path("v").isIntegralNumber()).isFalse();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      // 'f' format for 1e-6 <= |x| < 1e21, shortest digits that read back (strconv -1)
      "1000.0 | 1000",
      "1.10 | 1.1",
      "0.1 | 0.1",
      "2.5 | 2.5",
      "-2.5 | -2.5",
      "0.30000000000000004 | 0.30000000000000004",
      "0.000001 | 0.000001",
      "0.000001234 | 0.000001234",
      "1e20 | 100000000000000000000",
      "123456789012345680000 | 123456789012345680000",
      "9007199254740993 | 9007199254740992",
      // 'e' format outside; the exponent keeps its sign, e-07 loses its zero (Go's cleanup)
      "1e21 | 1e+21",
      "-1.5e21 | -1.5e+21",
      "1e100 | 1e+100",
      "1.7976931348623157e308 | 1.7976931348623157e+308",
      "1e-7 | 1e-7",
      "1.5e-7 | 1.5e-7",
      "1.23e-18 | 1.23e-18",
      "1.2345e-10 | 1.2345e-10",
      "5e-324 | 5e-324",
  })
  void float64_isWrittenAsJsonMarshalWritesIt(double value, String expected) {
    assertThat(goFloat(value)).isEqualTo(expected);
  }

  @Test
  void zeroes_keepTheirSign() {
    assertThat(goFloat(0.0)).isEqualTo("0");
    assertThat(goFloat(-0.0)).isEqualTo("-0");
  }

  @Test
  void infinityAndNan_areNotJson() {
    assertThatThrownBy(() -> goFloat(Double.POSITIVE_INFINITY))
        .hasMessageContaining("unsupported value");
    assertThatThrownBy(() -> goFloat(Double.NaN)).hasMessageContaining("unsupported value");
  }

  @Test
  void goValuesFromYaml_areWrittenAsJsonMarshalWritesThem() {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("ttl", 1000.0);                                  // yaml 1e3: float64
    args.put("b", 1.1);                                       // yaml 1.10
    args.put("n", 493L);                                      // yaml 0755: int
    args.put("big", new BigInteger("18446744073709551615"));  // yaml: uint64
    args.put("neg", Long.MIN_VALUE);
    args.put("s", "yes");
    args.put("x", "<&>");
    args.put("l", List.of(true, "a"));
    args.put("z", null);

    assertThat(go(args)).isEqualTo("{\"b\":1.1,\"big\":18446744073709551615,\"l\":[true,\"a\"],"
        + "\"n\":493,\"neg\":-9223372036854775808,\"s\":\"yes\",\"ttl\":1000,"
        + "\"x\":\"\\u003c\\u0026\\u003e\",\"z\":null}");
  }
}
