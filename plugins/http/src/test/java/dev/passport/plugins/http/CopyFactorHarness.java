package dev.passport.plugins.http;

import dev.passport.api.Backend;
import dev.passport.api.FetchRequest;
import dev.passport.api.Pod;
import dev.passport.api.PreparedVolume;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.CopyFactor;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures the http plugin's copy factor for the heap formula (bench/README.md P7, "copy factor per
 * plugin"): how many bytes of heap are alive at once per byte a fetch charges to its budget.
 *
 * <p>Not a test (no JUnit, not run by the build). The parent runs the fake secret service; for each
 * case (a plain body; a JSON object read with {@code jsonKeys}) it binary-searches the smallest
 * {@code -Xmx} ({@link CopyFactor}) at which a child JVM (serial GC, 8 MiB young generation, {@code
 * -XX:+ExitOnOutOfMemoryError}, as bin/passport runs the host) completes {@code n} concurrent
 * fetches and holds every Material, once with a body of {@code size} bytes and once with 1 KiB.
 * Factor = (min -Xmx big − min -Xmx tiny) ÷ the bytes the big fetches charged.
 *
 * <pre>java -cp target/test-classes:target/classes:&lt;test class path&gt; \
 *     dev.passport.plugins.http.CopyFactorHarness [size bytes] [n,...]</pre>
 */
public final class CopyFactorHarness {

  private static final String AUDIENCE = "secrets";

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 7_500_000;
    String[] ns = (args.length > 1 ? args[1] : "1,2").split(",");
    String[] kinds = (args.length > 2 ? args[2] : "plain,json").split(",");
    ServiceAccountTokens tokens = ServiceAccountTokens.create();
    Pod pod = dev.passport.testkit.Pods.pod("shop", "checkout-0", "checkout");
    try (FakeSecretService service = FakeSecretService.start(tokens, Clock.systemUTC(), AUDIENCE)) {
      ServiceAccountToken token = tokens.token(pod, AUDIENCE, Instant.now(), Duration.ofHours(2));
      Path tokenFile = Files.createTempFile("copyfactor", ".token",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tokenFile, token.token());
      try {
        for (String kind : kinds) {
          for (String n : ns) {
            List<String> common = List.of(kind, service.url("/v1/"), service.url("/v1/secret"),
                tokenFile.toString(), pod.namespace(), pod.name(), pod.uid(), pod.serviceAccount(), n);
            service.answer(200, body(kind, 1024));
            CopyFactor.Search tiny = CopyFactor.search(CopyFactorHarness.class, common, "tiny",
                "n=" + n, 8, 256);
            service.answer(200, body(kind, size));
            CopyFactor.Search big = CopyFactor.search(CopyFactorHarness.class, common, "big",
                "n=" + n, tiny.minMib(), 512);
            double factor = (big.minMib() - tiny.minMib()) * 1048576.0 / big.charged();
            System.out.printf("RESULT http %s n=%s size=%d: min -Xmx tiny %d MiB, big %d MiB,"
                + " charged %d bytes (%.2f MiB) => %.2f copies per charged byte (±%.2f)%n",
                kind, n, size, tiny.minMib(), big.minMib(), big.charged(), big.charged() / 1048576.0,
                factor, 2 * 1048576.0 / big.charged());
          }
        }
      } finally {
        Files.deleteIfExists(tokenFile);
      }
    }
  }

  private static String body(String kind, int size) {
    return kind.equals("json") ? "{\"username\":\"app\",\"password\":\"" + "x".repeat(size) + "\"}"
        : "x".repeat(size);
  }

  /** child which kind prefix url tokenFile ns name uid sa n */
  static void child(String[] args) throws Exception {
    String kind = args[2];
    String prefix = args[3];
    String url = args[4];
    String token = Files.readString(Path.of(args[5])).trim();
    Pod pod = Pod.of(args[6], args[7], args[8], args[9]);
    int n = Integer.parseInt(args[10]);
    TestBackendContext context = TestBackendContext.create();
    @SuppressWarnings("unchecked")
    Backend<PreparedVolume> backend = (Backend<PreparedVolume>) (Backend<?>) new HttpBackendFactory()
        .create(Map.of("allowedUrlPrefixes", prefix), context);
    Map<String, String> attributes = new HashMap<>(Map.of("url", url, "audience", AUDIENCE));
    if (kind.equals("json")) {
      attributes.put("jsonKeys", "username,password");
    }
    PreparedVolume volume = backend.prepare(attributes);
    CopyFactor.holdFetches(n, (id, budget) -> backend.fetch(volume, FetchRequest.builder().pod(pod)
        .volumeId("csi-copyfactor-" + id)
        .tokens(Map.of(AUDIENCE, ServiceAccountToken.of(token, Instant.now().plusSeconds(3600))))
        .deadline(Instant.now().plusSeconds(240))
        .budget(budget).build()));
  }
}
