package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.DNS_NAMES;
import static dev.passport.plugins.certmanager.CertificateAttributes.ISSUER_NAME;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the API server answers is read through the fetch's byte budget: the CertificateRequest
 * whose {@code status.certificate} an issuer (possibly a namespace user's own controller) writes,
 * whether it arrives on the watch or on a read, and every other answer.
 */
class CertManagerReadBoundsTest {

  /**
   * The plugin's timeout in tests whose issuer stalls through it: short, and long enough for a
   * working API call on a loaded CI machine (200 and 300 ms were missed there).
   */
  private static final String STALL_TIMEOUT = "2s";

  private static final String VOLUME_ID =
      "csi-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private static final Instant START = Instant.parse("2026-11-26T12:00:00Z");
  private static final int LIMIT = 64 * 1024;
  private static final Map<String, String> ATTRIBUTES =
      Map.of(ISSUER_NAME, "ca-issuer", DNS_NAMES, "web.example.com");

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);

  private final FakeClock clock = FakeClock.at(START);
  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private ServiceAccountToken token;
  private FakeCertManager certManager;
  private TestBackendContext context;
  private Backend<CertificateAttributes> backend;

  @BeforeEach
  void start() throws Exception {
    certManager = new FakeCertManager(clock);
    context = TestBackendContext.builder().clock(clock).nodeId("node-1").build();
    token = tokens.token(pod, "", START, Duration.ofHours(1));
    backend = newBackend("20s");
  }

  @AfterEach
  void stop() {
    backend.close();
    context.close();
    certManager.close();
  }

  private Backend<CertificateAttributes> newBackend(String timeout) throws BackendException {
    return new CertManagerBackendFactory().create(
        Map.of("apiServer", certManager.url(), "timeout", timeout), context);
  }

  private Material fetch(ByteBudget budget) throws BackendException {
    FetchRequest request = FetchRequest.builder().volumeId(VOLUME_ID).pod(pod)
        .tokens(Map.of("", token)).deadline(clock.instant().plus(Duration.ofMinutes(2)))
        .budget(budget).build();
    return backend.fetch(backend.prepare(ATTRIBUTES), request);
  }

  private static BackendException failure(CompletableFuture<Material> fetch) throws Exception {
    try {
      fetch.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BackendException backendException) {
        return backendException;
      }
      throw e;
    }
    throw new AssertionError("the fetch succeeded");
  }

  private BackendException failure(ByteBudget budget) {
    try {
      fetch(budget);
    } catch (BackendException e) {
      return e;
    }
    throw new AssertionError("the fetch succeeded");
  }

  private void assertTooLarge(BackendException e, String verb) {
    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage())
        .contains("cannot " + verb + " certificaterequests.cert-manager.io in namespace team-a")
        .contains("limit of " + LIMIT + " bytes");
    // Nothing for the host to print as a stack trace, nothing of the pod's token.
    assertThat(e.getCause()).isNull();
    LogHygiene.assertNoSecrets(tokens.minted(), e);
  }

  @Test
  void fetch_issuerWritesAChainLargerThanTheBudgetWhileWatched_isResourceExhaustedNamingTheLimit()
      throws Exception {
    certManager.mode(FakeCertManager.Mode.STALL);
    certManager.chainAtLeast(4 * LIMIT);
    CompletableFuture<Material> fetch = CompletableFuture.supplyAsync(() -> {
      try {
        return fetch(ByteBudget.limitedTo(LIMIT));
      } catch (BackendException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
    certManager.awaitWatch("team-a");

    certManager.issueUndecided("team-a");

    assertTooLarge(failure(fetch), "watch");
  }

  @Test
  void fetch_resumedRequestHoldsAChainLargerThanTheBudget_isResourceExhausted_aLargerBudgetGetsIt()
      throws Exception {
    backend.close();
    backend = newBackend(STALL_TIMEOUT);
    certManager.mode(FakeCertManager.Mode.STALL);
    assertThat(failure(ByteBudget.limitedTo(LIMIT)).kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
    certManager.chainAtLeast(4 * LIMIT);
    certManager.issueUndecided("team-a");

    assertTooLarge(failure(ByteBudget.limitedTo(LIMIT)), "get");

    // The request is kept: once the limit allows it, the same request's chain is the volume's.
    Material material = fetch(ByteBudget.limitedTo(16 * LIMIT));
    assertThat(material.file("tls.crt").orElseThrow().content().length).isGreaterThan(4 * LIMIT);
    assertThat(certManager.created()).hasSize(1);
  }

  @Test
  void fetch_chainWithinTheBudget_isIssuedWhole() throws Exception {
    certManager.chainAtLeast(LIMIT / 4);

    Material material = fetch(ByteBudget.limitedTo(LIMIT));

    byte[] chain = material.file("tls.crt").orElseThrow().content();
    assertThat(chain.length).isGreaterThanOrEqualTo(LIMIT / 4);
    assertThat(IssuedCertificate.parse(chain).orElseThrow().chain()).hasSizeGreaterThan(2);
  }

  @Test
  void fetch_budgetTooSmallForAnyAnswer_isResourceExhaustedBeforeARequestIsWaitedFor() {
    BackendException e = failure(ByteBudget.limitedTo(16));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("cannot create").contains("limit of 16 bytes");
    assertThat(e.getCause()).isNull();
  }
}
