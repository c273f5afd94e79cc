package dev.passport.host.logging;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.SecureRandom;
import java.util.Base64;

/** JWT-shaped strings made at run time (header, claims, random signature), so none is committed. */
final class JwtShaped {

  private static final SecureRandom RANDOM = new SecureRandom();

  private JwtShaped() {}

  static String of(String subject) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    byte[] signature = new byte[32];
    RANDOM.nextBytes(signature);
    return b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(UTF_8))
        + "." + b64.encodeToString(("{\"sub\":\"" + subject + "\"}").getBytes(UTF_8))
        + "." + b64.encodeToString(signature);
  }
}
