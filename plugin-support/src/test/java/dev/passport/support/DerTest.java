package dev.passport.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DerTest {

  @Test
  void tagged_usesTheShortestDefiniteLengthForm() {
    assertThat(hex(Der.tagged(0x02, new byte[] {1}))).isEqualTo("020101");
    assertThat(hex(Der.tagged(0x04, new byte[0x7f])).substring(0, 4)).isEqualTo("047f");
    assertThat(hex(Der.tagged(0x04, new byte[0x80])).substring(0, 6)).isEqualTo("048180");
    assertThat(hex(Der.tagged(0x30, new byte[0x100])).substring(0, 8)).isEqualTo("30820100");
    assertThat(hex(Der.tagged(0x30, new byte[0x10000])).substring(0, 10)).isEqualTo("3083010000");
    assertThat(Der.tagged(0x30, new byte[0x10000])).hasSize(0x10000 + 5);
  }

  @Test
  void tagged_refusesWhatNoKeyIs() {
    assertThatThrownBy(() -> Der.tagged(0x04, new byte[0x1000000]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void concat_joinsInOrder() {
    assertThat(hex(Der.concat(new byte[] {1}, new byte[0], new byte[] {2, 3}))).isEqualTo("010203");
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
