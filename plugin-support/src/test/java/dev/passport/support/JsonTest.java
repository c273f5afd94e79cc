package dev.passport.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

  @Test
  void parse_everyKindOfValue_isReadAsMapListStringAndText() throws Exception {
    Object value = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\":"
        + " \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\"}, \"e\": {}, \"f\": []}\n");

    assertThat(value).isEqualTo(Map.of("a", List.of("1", "-2.5e3", true, false, Json.NULL),
        "b", Map.of("c", "\"\\/\b\f\n\r\tA"), "e", Map.of(), "f", List.of()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"open", "01", "1.", "tru",
      "{} {}", "{'a':1}", "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "-"})
  void parse_malformed_isRefused(String text) {
    assertThat(catchThrowableOfType(Json.MalformedException.class, () -> Json.parse(text)))
        .isNotNull();
  }

  @Test
  void parse_nestedPastTheBound_isRefusedNotAStackOverflow() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);

    Json.MalformedException e =
        catchThrowableOfType(Json.MalformedException.class, () -> Json.parse(deep));

    assertThat(e).hasMessageContaining("deeper than " + Json.MAX_DEPTH);
  }
}
