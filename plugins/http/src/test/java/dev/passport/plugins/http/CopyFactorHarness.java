package dev.passport.plugins.http;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import dev.passport.api.PreparedVolume;
import dev.passport.api.Backend;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the http plugin's copy factor for the heap formula (bench/README.md P7, "copy factor per
 * plugin"): how many bytes of heap are alive at once per byte a fetch charges to its budget.
 *
 * <p>Not a test (no JUnit, not run by the build). The parent runs the fake secret service; for each
 * case (a plain body; a JSON object read with {@code jsonKeys}) it binary-searches the smallest
 * {@code -Xmx} at which a child JVM (serial GC, 8 MiB young generation, {@code
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
            Search tiny = search(common, "tiny", 8, 256);
            service.answer(200, body(kind, size));
            Search big = search(common, "big", tiny.minMib, 512);
            double factor = (big.minMib - tiny.minMib) * 1048576.0 / big.charged;
            System.out.printf("RESULT http %s n=%s size=%d: min -Xmx tiny %d MiB, big %d MiB,"
                + " charged %d bytes (%.2f MiB) => %.2f copies per charged byte (±%.2f)%n",
                kind, n, size, tiny.minMib, big.minMib, big.charged, big.charged / 1048576.0,
                factor, 2 * 1048576.0 / big.charged);
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

  record Search(int minMib, long charged) {}

  /** Smallest -Xmx in [lo, hi] MiB at which the child succeeds (success assumed monotonic). */
  static Search search(List<String> common, String which, int lo, int hi) throws Exception {
    long charged = run(common, which, hi);
    if (charged < 0) {
      throw new IllegalStateException(which + " fails even at -Xmx" + hi + "m");
    }
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      long c = run(common, which, mid);
      if (c >= 0) {
        hi = mid;
        charged = c;
      } else {
        lo = mid + 1;
      }
    }
    return new Search(hi, charged);
  }

  /** Runs the child at -Xmx{mib}m: the bytes charged if it succeeded, else -1. */
  static long run(List<String> common, String which, int mib) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + mib + "m", "-Xms8m", "-Xmn8m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
        "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-cp", System.getProperty("java.class.path"),
        CopyFactorHarness.class.getName(), "child", which));
    command.addAll(common);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return -1;
    }
    int rc = process.exitValue();
    System.out.printf("  %s n=%s -Xmx%dm -> rc %d%n", which, common.get(common.size() - 1), mib, rc);
    if (rc == 0) {
      for (String line : out.split("\n")) {
        if (line.startsWith("CHARGED ")) {
          return Long.parseLong(line.substring(8).trim());
        }
      }
      throw new IllegalStateException("child printed no CHARGED line: " + out);
    }
    if (rc != 3 && !out.contains("OutOfMemoryError")) {
      // not an OOM: a broken run, not a measurement
      throw new IllegalStateException("child failed (rc " + rc + "): " + out);
    }
    return -1;
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
    AtomicLong charged = new AtomicLong();
    List<Material> held = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = i;
      Thread t = new Thread(() -> {
        try {
          go.await();
          Material m = backend.fetch(volume, FetchRequest.builder().pod(pod)
              .volumeId("csi-copyfactor-" + id)
              .tokens(Map.of(AUDIENCE, ServiceAccountToken.of(token, Instant.now().plusSeconds(3600))))
              .deadline(Instant.now().plusSeconds(240))
              .budget(counting(charged)).build());
          synchronized (held) {
            held.add(m);
          }
        } catch (Throwable e) {
          synchronized (failures) {
            failures.add(e);
          }
        }
      });
      threads.add(t);
      t.start();
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    if (!failures.isEmpty()) {
      failures.get(0).printStackTrace();
      System.exit(1);
    }
    System.out.println("CHARGED " + charged.get());
    System.out.println("HELD " + held.size());
    System.exit(0);
  }

  /** An unlimited budget that counts what it is charged, across the fetches of one child. */
  static ByteBudget counting(AtomicLong total) {
    return new ByteBudget() {
      @Override
      public long limit() {
        return Long.MAX_VALUE;
      }

      @Override
      public void charge(long bytes) throws BackendException {
        total.addAndGet(bytes);
      }
    };
  }
}
