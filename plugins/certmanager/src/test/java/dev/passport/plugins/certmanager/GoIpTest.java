package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** ip-sans as Go's net.ParseIP reads them and crypto/x509 writes them (issue 18 item 7). */
class GoIpTest {

  @ParameterizedTest
  @CsvSource({
      "10.0.0.1, 0a000001",
      "0.0.0.0, 00000000",
      "255.255.255.255, ffffffff",
      // IPv4-mapped IPv6: Go's x509 writes ip.To4(), 4 bytes.
      "::ffff:10.0.0.1, 0a000001",
      "::ffff:a00:1, 0a000001",
      "0:0:0:0:0:ffff:10.0.0.1, 0a000001",
      "::1, 00000000000000000000000000000001",
      "::, 00000000000000000000000000000000",
      "2001:db8::1, 20010db8000000000000000000000001",
      "2001:DB8:0:0:0:0:0:1, 20010db8000000000000000000000001",
      // leading zeros in IPv6 groups are fine in Go
      "2001:0db8::0001, 20010db8000000000000000000000001",
      // IPv4-compatible (not mapped) stays 16 bytes
      "::10.0.0.1, 0000000000000000000000000a000001",
      "fe80::1:2, fe800000000000000000000000010002",
  })
  void sanBytes_whatGoAccepts_isWhatGoWrites(String text, String hex) {
    assertThat(GoIp.sanBytes(text)).hasValueSatisfying(
        bytes -> assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(hex));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "010.0.0.1",      // leading zero, refused since Go 1.17
      "10.0.0.01",
      "00.0.0.0",
      "::ffff:010.0.0.1",
      "fe80::1%eth0",   // zones: net.ParseIP refuses them
      "fe80::1%25eth0",
      "10.0.0",         // no short forms
      "10.0.0.1.2",
      "10.0.0.256",
      "10..0.1",
      "1.2.3.4.",
      "",
      " 10.0.0.1",
      "0x0a.0.0.1",
      "2001:db8:::1",
      "2001:db8::1::2",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7::8", // :: must stand for at least one zero group
      "12345::1",
      "2001:db8::g",
      "1:2:3:4:5:6:7:1.2.3.4",
      ":1::",
      "1::2:",
      "localhost"})
  void sanBytes_whatGoRefuses_isEmpty(String text) {
    assertThat(GoIp.sanBytes(text)).isEmpty();
  }
}
