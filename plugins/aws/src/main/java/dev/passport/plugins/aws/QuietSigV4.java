package dev.passport.plugins.aws;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * SigV4 for the JSON services, signing as the SDK's signer does but without its log: the SDK's
 * {@code DefaultV4RequestSigner} writes each canonical request at DEBUG, and with it the
 * {@code x-amz-security-token} header, the pod's session token. The host logs the plugin's SLF4J
 * at whatever level the operator chose, so the plugin signs with this class instead (registered
 * as the clients' {@code aws.auth#sigv4} scheme). Synchronous clients only.
 */
final class QuietSigV4 implements AwsV4HttpSigner {

  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /** The auth scheme that puts this signer in the SDK's place. */
  static AwsV4AuthScheme scheme() {
    QuietSigV4 signer = new QuietSigV4();
    return new AwsV4AuthScheme() {
      @Override
      public String schemeId() {
        return AwsV4AuthScheme.SCHEME_ID;
      }

      @Override
      public IdentityProvider<AwsCredentialsIdentity> identityProvider(
          IdentityProviders providers) {
        return providers.identityProvider(AwsCredentialsIdentity.class);
      }

      @Override
      public AwsV4HttpSigner signer() {
        return signer;
      }
    };
  }

  @Override
  public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
    AwsCredentialsIdentity identity = request.identity();
    String service = request.requireProperty(SERVICE_SIGNING_NAME);
    String region = request.requireProperty(REGION_NAME);
    Clock clock = request.hasProperty(SIGNING_CLOCK) ? request.property(SIGNING_CLOCK)
        : Clock.systemUTC();
    byte[] body = request.payload().map(QuietSigV4::read).orElse(new byte[0]);
    String amzDate = AMZ_DATE.format(clock.instant());
    String date = amzDate.substring(0, 8);
    String payloadHash = hex(sha256(body));

    SdkHttpRequest.Builder signed = request.request().toBuilder()
        .putHeader("Host", host(request.request()))
        .putHeader("X-Amz-Date", amzDate)
        .putHeader("x-amz-content-sha256", payloadHash);
    if (identity instanceof AwsSessionCredentialsIdentity session) {
      signed.putHeader("X-Amz-Security-Token", session.sessionToken());
    }
    SdkHttpRequest unsigned = signed.build();

    TreeMap<String, List<String>> headers = new TreeMap<>();
    unsigned.forEachHeader((name, values) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("host") || lower.equals("content-type") || lower.startsWith("x-amz-")) {
        headers.computeIfAbsent(lower, k -> new ArrayList<>()).addAll(values);
      }
    });
    StringBuilder canonicalHeaders = new StringBuilder();
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      List<String> trimmed = new ArrayList<>();
      for (String v : h.getValue()) {
        trimmed.add(v.strip().replaceAll(" +", " "));
      }
      canonicalHeaders.append(h.getKey()).append(':').append(String.join(",", trimmed))
          .append('\n');
    }
    String signedHeaders = String.join(";", headers.keySet());
    String path = unsigned.encodedPath().isEmpty() ? "/" : unsigned.encodedPath();
    String canonicalRequest = unsigned.method().name() + "\n" + encodePath(path) + "\n"
        + canonicalQuery(unsigned) + "\n" + canonicalHeaders + "\n" + signedHeaders + "\n"
        + payloadHash;
    String scope = date + "/" + region + "/" + service + "/aws4_request";
    String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
        + hex(sha256(canonicalRequest.getBytes(UTF_8)));
    byte[] key = hmac(("AWS4" + identity.secretAccessKey()).getBytes(UTF_8), date);
    key = hmac(key, region);
    key = hmac(key, service);
    key = hmac(key, "aws4_request");
    String signature = hex(hmac(key, stringToSign));

    SdkHttpRequest done = unsigned.toBuilder().putHeader("Authorization",
        "AWS4-HMAC-SHA256 Credential=" + identity.accessKeyId() + "/" + scope
            + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature).build();
    return SignedRequest.builder().request(done)
        .payload(request.payload().isPresent() ? ContentStreamProvider.fromByteArray(body) : null)
        .build();
  }

  @Override
  public CompletableFuture<AsyncSignedRequest> signAsync(
      AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
    throw new UnsupportedOperationException("the aws plugin uses synchronous clients only");
  }

  private static String host(SdkHttpRequest request) {
    int port = request.port();
    boolean standard = port == -1 || ("https".equals(request.protocol()) && port == 443)
        || ("http".equals(request.protocol()) && port == 80);
    return standard ? request.host() : request.host() + ":" + port;
  }

  /** The JSON services' signing name is not S3's: the (already encoded) path is encoded again. */
  private static String encodePath(String encodedPath) {
    StringBuilder out = new StringBuilder();
    for (String segment : encodedPath.split("/", -1)) {
      if (out.length() > 0 || encodedPath.startsWith("/")) {
        out.append('/');
      }
      out.append(encode(segment));
    }
    String result = out.toString();
    return result.startsWith("//") ? result.substring(1) : result;
  }

  private static String canonicalQuery(SdkHttpRequest request) {
    TreeMap<String, List<String>> sorted = new TreeMap<>();
    request.rawQueryParameters().forEach((k, values) -> {
      List<String> encoded = new ArrayList<>();
      for (String v : values) {
        encoded.add(v == null ? "" : encode(v));
      }
      encoded.sort(null);
      sorted.put(encode(k), encoded);
    });
    List<String> pairs = new ArrayList<>();
    sorted.forEach((k, values) -> values.forEach(v -> pairs.add(k + "=" + v)));
    return String.join("&", pairs);
  }

  /** RFC 3986 unreserved characters kept, everything else percent-encoded (AWS's UriEncode). */
  private static String encode(String value) {
    return URLEncoder.encode(value, UTF_8).replace("+", "%20").replace("*", "%2A")
        .replace("%7E", "~");
  }

  private static byte[] read(ContentStreamProvider provider) {
    try (InputStream in = provider.newStream()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] bytes) {
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
