package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.plugins.certmanager.CertificateRequests.Decision;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CertificateRequestDecisionTest {

  private static GenericKubernetesResource withConditions(Map<?, ?>... conditions) {
    GenericKubernetesResource request = new GenericKubernetesResource();
    request.setAdditionalProperty("status", Map.of("conditions", List.of(conditions)));
    return request;
  }

  private static Map<String, String> condition(String type, String status, String reason, String message) {
    return Map.of("type", type, "status", status, "reason", reason, "message", message);
  }

  @Test
  void decide_noStatus_isPending() {
    assertThat(CertificateRequests.decide(new GenericKubernetesResource())).isInstanceOf(Decision.Pending.class);
  }

  @Test
  void decide_approvedButNotReady_isPending() {
    assertThat(CertificateRequests.decide(withConditions(
        condition("Approved", "True", "policy.cert-manager.io", "ok"),
        condition("Ready", "False", "Pending", "waiting for the issuer"))))
        .isInstanceOf(Decision.Pending.class);
  }

  @Test
  void decide_readyTrue_isIssued() {
    assertThat(CertificateRequests.decide(withConditions(condition("Ready", "True", "Issued", ""))))
        .isInstanceOf(Decision.Issued.class);
  }

  @Test
  void decide_deniedTrue_isDeniedEvenWithReadyFalse() {
    assertThat(CertificateRequests.decide(withConditions(
        condition("Ready", "False", "Denied", "denied"),
        condition("Denied", "True", "policy.cert-manager.io", "no SANs outside team-a"))))
        .isEqualTo(new Decision.Denied("policy.cert-manager.io", "no SANs outside team-a"));
  }

  @Test
  void decide_readyFalseFailed_isFailed() {
    assertThat(CertificateRequests.decide(withConditions(
        condition("Ready", "False", "Failed", "issuer not ready"))))
        .isEqualTo(new Decision.Failed("Failed", "issuer not ready"));
  }

  @Test
  void decide_invalidRequest_isFailed() {
    assertThat(CertificateRequests.decide(withConditions(
        condition("InvalidRequest", "True", "BadConfig", "issuerRef kind unknown"))))
        .isEqualTo(new Decision.Failed("BadConfig", "issuerRef kind unknown"));
  }

  @Test
  void decide_issuersConditionMessageLongerThanTheQuoteLimit_isCutSayingHowMuchIsLeftOut() {
    String message = "x".repeat(CertificateRequests.MAX_QUOTED + 1000);

    Decision decision = CertificateRequests.decide(withConditions(
        condition("Denied", "True", "policy.cert-manager.io", message)));

    assertThat(((Decision.Denied) decision).message())
        .startsWith("x".repeat(CertificateRequests.MAX_QUOTED))
        .endsWith("... (1000 more characters)")
        .hasSize(CertificateRequests.MAX_QUOTED + "... (1000 more characters)".length());
  }
}
