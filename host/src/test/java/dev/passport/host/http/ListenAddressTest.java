package dev.passport.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ListenAddressTest {

  @Test
  void parse_zero_turnsTheEndpointOff() {
    assertThat(ListenAddress.parse("0")).isEmpty();
  }

  @Test
  void parse_portOnly_listensOnAllInterfaces() {
    InetSocketAddress address = ListenAddress.parse(":9809").orElseThrow();

    assertThat(address.getPort()).isEqualTo(9809);
    assertThat(address.getAddress().isAnyLocalAddress()).isTrue();
  }

  @Test
  void parse_hostAndPort_andBracketedIpv6_bindThatAddress() {
    assertThat(ListenAddress.parse("127.0.0.1:9809")).hasValue(new InetSocketAddress("127.0.0.1", 9809));
    assertThat(ListenAddress.parse("[::1]:9000")).hasValue(new InetSocketAddress("::1", 9000));
  }

  @Test
  void parse_malformed_failsWithTheAcceptedForms() {
    assertThatThrownBy(() -> ListenAddress.parse("9809")).hasMessageContaining("no port")
        .hasMessageContaining(":9809");
    assertThatThrownBy(() -> ListenAddress.parse(":http")).hasMessageContaining("not a number");
    assertThatThrownBy(() -> ListenAddress.parse(":70000")).hasMessageContaining("0..65535");
    assertThatThrownBy(() -> ListenAddress.parse("::1:9809")).hasMessageContaining("brackets");
  }
}
