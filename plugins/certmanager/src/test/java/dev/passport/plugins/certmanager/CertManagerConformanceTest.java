package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.conformance.BackendConformance;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * The shared conformance suite, against the fake API server and signer. The volume reuses its
 * private key and the signer is idempotent per key, so a due re-fetch gives identical bytes.
 */
class CertManagerConformanceTest extends BackendConformance {

  private FakeCertManager certManager;
  /** Set by backendFails(DEADLINE_EXCEEDED): the stall is meant to outlast the plugin's timeout. */
  private boolean stalled;

  @BeforeEach
  void startCertManager() throws Exception {
    certManager = new FakeCertManager(clock());
    certManager.deterministic(true);
  }

  @AfterEach
  void stopCertManager() {
    certManager.close();
  }

  @Override
  protected BackendFactory factory() {
    return new CertManagerBackendFactory();
  }

  @Override
  protected Map<String, String> config() {
    // Short, so that a stalled issuer (DEADLINE_EXCEEDED) costs the suite seconds, not a minute;
    // but every successful fetch must issue within it, on a loaded 2-core CI machine too (3 s was
    // too close), and below the suite's 20 s host fetch timeout, so the plugin's own DEADLINE_EXCEEDED
    // is what a stalled issuer gives. Where the issuer stalls on purpose, 2 s: that DEADLINE_EXCEEDED
    // is the expected answer, a loaded machine can only bring it sooner, and it is not 10 s of waiting.
    return Map.of("apiServer", certManager.url(), "timeout", stalled ? "2s" : "10s");
  }

  @Override
  protected Map<String, String> attributes() {
    return Map.of(
        CertificateAttributes.ISSUER_NAME, "ca-issuer",
        CertificateAttributes.DNS_NAMES, "${POD_NAME}.${POD_NAMESPACE}.svc",
        CertificateAttributes.REUSE_PRIVATE_KEY, "true",
        // The suite checks the plugin's contract, which no key algorithm changes: a P-256 key
        // takes a millisecond, csi-driver's default RSA 2048 up to seconds on a loaded machine.
        CertificateAttributes.KEY_ALGORITHM, "ECDSA");
  }

  @Override
  protected Set<String> audiences() {
    return Set.of(CertManagerBackend.AUDIENCE);
  }

  @Override
  protected void backendSucceeds() {
    certManager.failApi(0);
    certManager.mode(FakeCertManager.Mode.ISSUE);
  }

  @Override
  protected void backendFails(BackendException.Kind kind) {
    certManager.failApi(0);
    switch (kind) {
      case INVALID_ARGUMENT -> certManager.failApi(422);
      case UNAUTHENTICATED -> certManager.failApi(401);
      case PERMISSION_DENIED -> certManager.mode(FakeCertManager.Mode.DENY, "not for this workload");
      case NOT_FOUND -> certManager.failApi(404);
      case FAILED_PRECONDITION -> certManager.mode(FakeCertManager.Mode.FAIL, "issuer not ready");
      case UNAVAILABLE -> certManager.failApi(503);
      case DEADLINE_EXCEEDED -> {
        stalled = true;
        certManager.mode(FakeCertManager.Mode.STALL);
      }
      case RESOURCE_EXHAUSTED -> certManager.failApi(429);
      case INTERNAL -> certManager.mode(FakeCertManager.Mode.GARBAGE);
      default -> Assumptions.abort("the fake cert-manager cannot produce " + kind);
    }
  }

  /**
   * Every credential that reached the fake API server from the plugin: the bearer tokens of its
   * calls (the pod's own tokens, the only credential the plugin has), taken from what the server
   * received rather than from what the suite minted.
   */
  @Override
  protected Set<String> backendSecrets() {
    Set<String> seen = certManager.bearerTokensSeen();
    assertThat(seen).as("bearer tokens the fake API server received from the plugin").isNotEmpty();
    return seen;
  }

  /** CertificateRequests created so far: what a token rotation must not add to. */
  @Override
  protected OptionalLong issuances() {
    return OptionalLong.of(certManager.created().size());
  }

  @Override
  protected void backendStalls(Duration duration) {
    certManager.failApi(0);
    certManager.mode(FakeCertManager.Mode.STALL);
  }
}
