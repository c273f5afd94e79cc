package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Subject lists read as Go's encoding/csv reads them in cert-manager's SplitWithEscapeCSV. */
class GoCsvTest {

  @Test
  void values_quotedValueWithComma_isOneValueWithoutQuotes() {
    // csi-driver's documented example (issue 18 item 1).
    assertThat(GoCsv.values("\"10 Downing Street, Westminster\",Manchester"))
        .containsExactly("10 Downing Street, Westminster", "Manchester");
  }

  @Test
  void values_spacesAfterComma_areKeptAsGoKeepsThem() {
    // Go's reader has TrimLeadingSpace off: " Manchester" keeps its space, as in csi-driver.
    assertThat(GoCsv.values("London, Manchester")).containsExactly("London", " Manchester");
  }

  @Test
  void values_doubledQuoteInsideQuotes_isOneQuote() {
    assertThat(GoCsv.values("\"Acme \"\"Labs\"\"\",b")).containsExactly("Acme \"Labs\"", "b");
  }

  @Test
  void values_emptyFields_areKept() {
    assertThat(GoCsv.values("a,,b,")).containsExactly("a", "", "b", "");
  }

  @Test
  void values_quotedLineBreak_isOneRecord() {
    assertThat(GoCsv.values("\"a\nb\",c")).isEqualTo(List.of("a\nb", "c"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "10 \"Downing\" Street",  // Go: bare " in non-quoted field
      " \"a\",b",               // a space before the quote makes it a bare quote in Go
      "\"a\"b",                 // Go: extraneous or missing " in quoted-field
      "\"unterminated",
      "a\nb",                   // two records: SplitWithEscapeCSV refuses
      "\n"})                    // no record
  void values_whatGoRefuses_isRefused(String line) {
    assertThatThrownBy(() -> GoCsv.values(line)).isInstanceOf(IllegalArgumentException.class);
  }
}
