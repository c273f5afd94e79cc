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
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the API server answers is read through the fetch's byte budget: the CertificateRequest
 * whose {@code status.certificate} an issuer (possibly a namespace user's own controller) writes,
 * whether it arrives on the watch or on a read, and every other answer.
 */
class CertManagerReadBoundsTest {

  private static final String VOLUME_ID =
      "csi-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private static final Instant START = BackendOnFakeCertManager.START;
  private static final int LIMIT = 64 * 1024;
  private static final int WATCHED_LIMIT = 16 * 1024;
  private static final Map<String, String> ATTRIBUTES =
      Map.of(ISSUER_NAME, "ca-issuer", DNS_NAMES, "web.example.com");

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);
  @RegisterExtension final BackendOnFakeCertManager onFake =
      BackendOnFakeCertManager.withTimeout("20s");

  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private ServiceAccountToken token;
  private Backend<CertificateAttributes> backend;

  @BeforeEach
  void start() {
    token = tokens.token(pod, "", START, Duration.ofHours(1));
    backend = onFake.backend();
  }

  private Material fetch(ByteBudget budget) throws BackendException {
    return fetch(budget, Duration.ofMinutes(2));
  }

  private Material fetch(ByteBudget budget, Duration within) throws BackendException {
    FetchRequest request = FetchRequest.builder().volumeId(VOLUME_ID).pod(pod)
        .tokens(Map.of("", token)).deadline(onFake.clock.instant().plus(within))
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
    return failure(budget, Duration.ofMinutes(2));
  }

  private BackendException failure(ByteBudget budget, Duration within) {
    try {
      fetch(budget, within);
    } catch (BackendException e) {
      return e;
    }
    throw new AssertionError("the fetch succeeded");
  }

  private void assertTooLarge(BackendException e, String verb) {
    assertTooLarge(e, verb, LIMIT);
  }

  private void assertTooLarge(BackendException e, String verb, int limit) {
    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage())
        .contains("cannot " + verb + " certificaterequests.cert-manager.io in namespace team-a")
        .contains("limit of " + limit + " bytes");
    // Nothing for the host to print as a stack trace, nothing of the pod's token.
    assertThat(e.getCause()).isNull();
    LogHygiene.assertNoSecrets(tokens.minted(), e);
  }

  @Test
  void fetch_issuerWritesAChainLargerThanTheBudgetWhileWatched_isResourceExhaustedNamingTheLimit()
      throws Exception {
    onFake.certManager.mode(FakeCertManager.Mode.STALL);
    // Twice the budget, and a budget whose event fits the loopback socket's buffers: fabric8's mock
    // server blocks its event loop for 30 s when a client drops a watch while a write to it is
    // still pending (WatchEventsListener.onFailure awaits the sender, which awaits the event loop).
    onFake.certManager.chainAtLeast(2 * WATCHED_LIMIT);
    CompletableFuture<Material> fetch = CompletableFuture.supplyAsync(() -> {
      try {
        return fetch(ByteBudget.limitedTo(WATCHED_LIMIT));
      } catch (BackendException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
    onFake.certManager.awaitWatch("team-a");

    onFake.certManager.issueUndecided("team-a");

    assertTooLarge(failure(fetch), "watch", WATCHED_LIMIT);
  }

  @Test
  void fetch_resumedRequestHoldsAChainLargerThanTheBudget_isResourceExhausted_aLargerBudgetGetsIt()
      throws Exception {
    onFake.certManager.mode(FakeCertManager.Mode.STALL);
    assertThat(failure(ByteBudget.limitedTo(LIMIT), BackendOnFakeCertManager.STALL_WAIT).kind())
        .isEqualTo(Kind.DEADLINE_EXCEEDED);
    onFake.certManager.chainAtLeast(4 * LIMIT);
    onFake.certManager.issueUndecided("team-a");

    assertTooLarge(failure(ByteBudget.limitedTo(LIMIT)), "get");

    // The request is kept: once the limit allows it, the same request's chain is the volume's.
    Material material = fetch(ByteBudget.limitedTo(16 * LIMIT));
    assertThat(material.file("tls.crt").orElseThrow().content().length).isGreaterThan(4 * LIMIT);
    assertThat(onFake.certManager.created()).hasSize(1);
  }

  @Test
  void fetch_chainWithinTheBudget_isIssuedWhole() throws Exception {
    onFake.certManager.chainAtLeast(LIMIT / 4);

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
