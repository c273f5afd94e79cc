package dev.passport.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LogHygieneTest {

  private static final String SECRET = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw";
  private static final Set<String> SECRETS = Set.of(SECRET);

  @Test
  void assertNoSecrets_cleanTexts_passes() {
    assertThatCode(() -> LogHygiene.assertNoSecrets(SECRETS,
        List.of("INFO published csi-1", "WARN backend slow"), List.of("passport_publish_total 3")))
        .doesNotThrowAnyException();
  }

  @Test
  void assertNoSecrets_secretInALogLine_failsNamingTheTextAndLine_withoutTheSecret() {
    List<String> logs = List.of("INFO ok", "DEBUG request Authorization: Bearer " + SECRET);

    assertThatThrownBy(() -> LogHygiene.assertNoSecrets(SECRETS, List.of("scrape"), logs))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("text #2 line 2")
        .hasMessageContaining("Bearer <redacted>")
        .message().doesNotContain(SECRET);
  }

  @Test
  void assertNoSecrets_secretInAMetricsScrape_fails() {
    String scrape = "passport_fetch_total{token=\"" + SECRET + "\"} 1\n";

    assertThatThrownBy(() -> LogHygiene.assertNoSecrets(SECRETS, List.of(scrape)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("text #1 line 1")
        .message().doesNotContain(SECRET);
  }

  @Test
  void assertNoSecrets_secretInADeepCause_failsNamingThePathInTheChain() {
    Exception thrown = new IllegalStateException("publish failed",
        new IOException("wrapped", new IllegalArgumentException("bad token " + SECRET)));

    assertThatThrownBy(() -> LogHygiene.assertNoSecrets(SECRETS, thrown))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("exception → cause → cause (java.lang.IllegalArgumentException)")
        .message().doesNotContain(SECRET);
  }

  @Test
  void assertNoSecrets_secretInASuppressedException_fails() {
    Exception thrown = new IllegalStateException("publish failed");
    thrown.addSuppressed(new IOException("close failed for " + SECRET));

    assertThatThrownBy(() -> LogHygiene.assertNoSecrets(SECRETS, thrown))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("suppressed #1")
        .message().doesNotContain(SECRET);
  }

  @Test
  void assertNoSecrets_secretInGrpcTrailers_fails() {
    Metadata trailers = new Metadata();
    trailers.put(Metadata.Key.of("debug", Metadata.ASCII_STRING_MARSHALLER), SECRET);
    Exception thrown = Status.UNAUTHENTICATED.withDescription("token rejected")
        .asRuntimeException(trailers);

    assertThatThrownBy(() -> LogHygiene.assertNoSecrets(SECRETS, thrown))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("trailers")
        .message().doesNotContain(SECRET);
  }

  @Test
  void assertNoSecrets_causeCycle_terminates() {
    IllegalStateException a = new IllegalStateException("a");
    IllegalStateException b = new IllegalStateException("b", a);
    a.initCause(b);

    assertThatCode(() -> LogHygiene.assertNoSecrets(SECRETS, a)).doesNotThrowAnyException();
  }

  @Test
  void assertNoSecrets_emptySecret_isIgnored() {
    assertThatCode(() -> LogHygiene.assertNoSecrets(Set.of(""), List.of("anything")))
        .doesNotThrowAnyException();
  }

  @Test
  void assertNoSecrets_onlyTheJwtSignatureLogged_fails() {
    String signature = SECRET.substring(SECRET.lastIndexOf('.') + 1);

    assertThatThrownBy(() -> LogHygiene.assertNoSecrets(SECRETS, List.of("sig=" + signature)))
        .isInstanceOf(AssertionError.class)
        .message().doesNotContain(signature);
  }

  @Test
  void assertNoSecrets_multiLineText_reportsTheLineWithinIt() {
    String scrape = "# HELP x\nx 1\ny{t=\"" + SECRET + "\"} 1\n";

    assertThatThrownBy(() -> LogHygiene.assertNoSecrets(SECRETS, List.of(scrape)))
        .hasMessageContaining("text #1 line 3");
  }

  @Test
  void redact_replacesEverySecret() {
    assertThat(LogHygiene.redact(SECRETS, "a " + SECRET + " b " + SECRET))
        .isEqualTo("a <redacted> b <redacted>");
  }
}
