package dev.passport.plugins.certmanager;

import java.util.Arrays;
import java.util.Optional;

/**
 * IP addresses as csi-driver reads {@code ip-sans}: Go's {@code net.ParseIP} (Go 1.26, through
 * {@code netip.ParseAddr}), then encoded as Go's {@code crypto/x509} writes an IP SAN.
 *
 * <p>Go's rules, each of which Java's and BouncyCastle's parsers treat differently somewhere: IPv4
 * is exactly four decimal parts of 0–255 without leading zeros ({@code 010.0.0.1} is refused since
 * Go 1.17); IPv6 has at most one {@code ::}, groups of one to four hex digits and may end in an
 * embedded IPv4 address; a zone ({@code fe80::1%eth0}) is refused.
 */
final class GoIp {

  private GoIp() {}

  /**
   * The SAN bytes of {@code text}: 4 for an IPv4 address, also when written IPv4-mapped
   * ({@code ::ffff:10.0.0.1}, since Go's x509 writes {@code ip.To4()} when there is one), else 16;
   * empty when Go refuses the text.
   */
  static Optional<byte[]> sanBytes(String text) {
    Optional<byte[]> ip = text.indexOf(':') >= 0 ? ipv6(text) : ipv4(text);
    return ip.map(GoIp::to4OrSelf);
  }

  private static byte[] to4OrSelf(byte[] ip) {
    if (ip.length == 16) {
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= ip[i] == 0;
      }
      if (mapped && ip[10] == (byte) 0xff && ip[11] == (byte) 0xff) {
        return Arrays.copyOfRange(ip, 12, 16);
      }
    }
    return ip;
  }

  static Optional<byte[]> ipv4(String s) {
    byte[] out = new byte[4];
    int part = 0;
    int value = -1;
    int digits = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (c >= '0' && c <= '9') {
        if (digits == 1 && value == 0) {
          return Optional.empty(); // a leading zero: netip's "IPv4 field has octet with leading zero"
        }
        value = (value < 0 ? 0 : value * 10) + (c - '0');
        digits++;
        if (value > 255) {
          return Optional.empty();
        }
      } else if (c == '.') {
        if (digits == 0 || part > 3) {
          return Optional.empty();
        }
        out[part++] = (byte) value;
        value = -1;
        digits = 0;
      } else {
        return Optional.empty();
      }
    }
    return part == 4 ? Optional.of(out) : Optional.empty();
  }

  static Optional<byte[]> ipv6(String s) {
    if (s.indexOf('%') >= 0) {
      return Optional.empty(); // net.ParseIP refuses zones
    }
    byte[] out = new byte[16];
    int ellipsis = -1;
    int i = 0;
    if (s.startsWith("::")) {
      ellipsis = 0;
      i = 2;
      if (s.length() == 2) {
        return Optional.of(out);
      }
    }
    int at = 0;
    while (at < 16) {
      int end = i;
      int value = 0;
      while (end < s.length() && end - i < 5 && Character.digit(s.charAt(end), 16) >= 0) {
        value = value * 16 + Character.digit(s.charAt(end), 16);
        end++;
      }
      int digits = end - i;
      if (digits == 0 || digits > 4) {
        // An embedded IPv4 address has a '.' where a group would end.
        if (!(digits > 0 && end < s.length() && s.charAt(end) == '.')) {
          return Optional.empty();
        }
      }
      if (end < s.length() && s.charAt(end) == '.') {
        if (ellipsis < 0 && at != 12 || at + 4 > 16) {
          return Optional.empty();
        }
        Optional<byte[]> v4 = ipv4(s.substring(i));
        if (v4.isEmpty()) {
          return Optional.empty();
        }
        System.arraycopy(v4.get(), 0, out, at, 4);
        at += 4;
        i = s.length();
        break;
      }
      out[at] = (byte) (value >> 8);
      out[at + 1] = (byte) value;
      at += 2;
      i = end;
      if (i == s.length()) {
        break;
      }
      if (s.charAt(i) != ':' || i + 1 == s.length()) {
        return Optional.empty();
      }
      i++;
      if (s.charAt(i) == ':') {
        if (ellipsis >= 0) {
          return Optional.empty();
        }
        ellipsis = at;
        i++;
        if (i == s.length()) {
          break;
        }
      }
    }
    if (i != s.length()) {
      return Optional.empty();
    }
    if (at < 16) {
      if (ellipsis < 0) {
        return Optional.empty();
      }
      int n = 16 - at;
      System.arraycopy(out, ellipsis, out, ellipsis + n, at - ellipsis);
      Arrays.fill(out, ellipsis, ellipsis + n, (byte) 0);
    } else if (ellipsis >= 0) {
      return Optional.empty(); // "::" must stand for at least one group of zeros
    }
    return Optional.of(out);
  }
}
