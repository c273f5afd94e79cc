package dev.passport.tools.aws;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature Version 4, as the services check it: the canonical request rebuilt from what
 * arrived, the string to sign, the key derived from the secret key, date, region and service.
 * Written from AWS's published algorithm, independent of the SDK that signs.
 */
public final class SigV4 {

  /** The parts of {@code Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…}. */
  public record Authorization(String accessKeyId, String date, String region, String service,
      List<String> signedHeaders, String signature) {

    String scope() {
      return date + "/" + region + "/" + service + "/aws4_request";
    }
  }

  private SigV4() {}

  public static Authorization parse(String header) {
    if (header == null || !header.startsWith("AWS4-HMAC-SHA256 ")) {
      return null;
    }
    Map<String, String> parts = new LinkedHashMap<>();
    for (String part : header.substring("AWS4-HMAC-SHA256 ".length()).split(",")) {
      String[] kv = part.strip().split("=", 2);
      if (kv.length == 2) {
        parts.put(kv[0], kv[1]);
      }
    }
    String credential = parts.get("Credential");
    String signed = parts.get("SignedHeaders");
    String signature = parts.get("Signature");
    if (credential == null || signed == null || signature == null) {
      return null;
    }
    String[] c = credential.split("/");
    if (c.length != 5 || !c[4].equals("aws4_request")) {
      return null;
    }
    return new Authorization(c[0], c[1], c[2], c[3], List.of(signed.split(";")), signature);
  }

  /**
   * The signature the request should carry.
   *
   * @param headers the request's headers, names in any case
   */
  public static String expected(Authorization auth, String secretAccessKey, String method, String path,
      String query, Map<String, List<String>> headers, byte[] body) {
    Map<String, List<String>> lower = new LinkedHashMap<>();
    headers.forEach((k, v) -> lower.computeIfAbsent(k.toLowerCase(Locale.ROOT),
        x -> new ArrayList<>()).addAll(v));
    StringBuilder canonicalHeaders = new StringBuilder();
    for (String name : auth.signedHeaders()) {
      List<String> values = lower.getOrDefault(name, List.of());
      List<String> trimmed = new ArrayList<>();
      for (String value : values) {
        trimmed.add(value.strip().replaceAll(" +", " "));
      }
      canonicalHeaders.append(name).append(':').append(String.join(",", trimmed)).append('\n');
    }
    String payloadHash = lower.containsKey("x-amz-content-sha256")
        ? lower.get("x-amz-content-sha256").get(0) : hex(sha256(body));
    String canonicalRequest = method + "\n" + (path.isEmpty() ? "/" : path) + "\n"
        + (query == null ? "" : query) + "\n" + canonicalHeaders + "\n"
        + String.join(";", auth.signedHeaders()) + "\n" + payloadHash;
    String amzDate = lower.getOrDefault("x-amz-date", List.of("")).get(0);
    String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + auth.scope() + "\n"
        + hex(sha256(canonicalRequest.getBytes(UTF_8)));
    byte[] key = hmac(("AWS4" + secretAccessKey).getBytes(UTF_8), auth.date());
    key = hmac(key, auth.region());
    key = hmac(key, auth.service());
    key = hmac(key, "aws4_request");
    return hex(hmac(key, stringToSign));
  }

  public static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
