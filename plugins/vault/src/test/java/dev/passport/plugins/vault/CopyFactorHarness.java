package dev.passport.plugins.vault;

import dev.passport.api.FetchRequest;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.CopyFactor;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Measures the vault plugin's copy factor for the heap formula (bench/README.md P7, "copy factor per
 * plugin"): how many bytes of heap are alive at once per byte a fetch charges to its budget.
 *
 * <p>Not a test (no JUnit, not run by the build; the search and the child's fetches are
 * {@link CopyFactor}'s). The parent holds a Vault dev server with one KV
 * secret of {@code size} bytes and one of 1 KiB; for each case it binary-searches the smallest
 * {@code -Xmx} at which a child JVM (serial GC, 8 MiB young generation, {@code
 * -XX:+ExitOnOutOfMemoryError}, as bin/passport runs the host) completes {@code n} concurrent
 * fetches and holds every Material. Factor = (min -Xmx with the big secret − min -Xmx with the tiny
 * one) ÷ the bytes the big fetches charged.
 *
 * <pre>java -cp target/test-classes:target/classes:&lt;test class path&gt; \
 *     dev.passport.plugins.vault.CopyFactorHarness [size bytes] [n,...]</pre>
 */
public final class CopyFactorHarness {

  private static final String OBJECTS = """
      - objectName: big
        secretPath: secret/data/shop/%s
        secretKey: value
      """;

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(args);
      return;
    }
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 7_500_000;
    String[] ns = (args.length > 1 ? args[1] : "1,2").split(",");
    ServiceAccountTokens tokens = ServiceAccountTokens.create();
    Pod pod = dev.passport.testkit.Pods.pod("shop", "web-0", "web");
    try (VaultDevServer vault = VaultDevServer.builder(tokens).start()) {
      vault.addRole("kubernetes", VaultRole.of("web", "shop", "web"));
      vault.kvPut("secret", "shop/big", Map.of("value", "x".repeat(size)));
      vault.kvPut("secret", "shop/tiny", Map.of("value", "x".repeat(1024)));
      ServiceAccountToken token = tokens.token(pod, "vault", Instant.now(), Duration.ofHours(2));
      Path tokenFile = Files.createTempFile("copyfactor", ".token",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tokenFile, token.token());
      try {
        for (String n : ns) {
          List<String> common = List.of(vault.address(), tokenFile.toString(), pod.namespace(),
              pod.name(), pod.uid(), pod.serviceAccount(), n);
          CopyFactor.Search tiny = CopyFactor.search(CopyFactorHarness.class, common, "tiny",
              "n=" + n, 8, 256);
          CopyFactor.Search big = CopyFactor.search(CopyFactorHarness.class, common, "big",
              "n=" + n, tiny.minMib(), 512);
          double factor = (big.minMib() - tiny.minMib()) * 1048576.0 / big.charged();
          System.out.printf("RESULT vault n=%s size=%d: min -Xmx tiny %d MiB, big %d MiB,"
              + " charged %d bytes (%.2f MiB) => %.2f copies per charged byte (±%.2f)%n",
              n, size, tiny.minMib(), big.minMib(), big.charged(), big.charged() / 1048576.0, factor,
              2 * 1048576.0 / big.charged());
        }
      } finally {
        Files.deleteIfExists(tokenFile);
      }
    }
  }

  /** child which address tokenFile ns name uid sa n */
  static void child(String[] args) throws Exception {
    String which = args[1];
    String address = args[2];
    String token = Files.readString(Path.of(args[3])).trim();
    Pod pod = Pod.of(args[4], args[5], args[6], args[7]);
    int n = Integer.parseInt(args[8]);
    TestBackendContext context = TestBackendContext.builder()
        .loggerName("dev.passport.plugins.vault").build();
    VaultBackend backend = (VaultBackend) new VaultBackendFactory()
        .create(Map.of("vaultAddress", address), context);
    VaultAttributes volume = backend.prepare(Map.of("roleName", "web",
        "objects", OBJECTS.formatted(which)));
    CopyFactor.holdFetches(n, (id, budget) -> backend.fetch(volume, FetchRequest.builder().pod(pod)
        .volumeId("csi-copyfactor-" + id)
        .tokens(Map.of("vault", ServiceAccountToken.of(token, Instant.now().plusSeconds(3600))))
        .deadline(Instant.now().plusSeconds(240))
        .budget(budget).build()));
  }
}
