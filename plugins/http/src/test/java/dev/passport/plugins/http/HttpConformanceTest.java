package dev.passport.plugins.http;

import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.conformance.BackendConformance;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/** The conformance suite, run against the http plugin and a fake secret service. */
class HttpConformanceTest extends BackendConformance {

  private static final String AUDIENCE = "secrets";

  private FakeSecretService service;

  @BeforeEach
  void startService() throws IOException {
    service = FakeSecretService.start(tokens(), clock(), AUDIENCE);
  }

  @AfterEach
  void stopService() {
    service.close();
  }

  @Override
  protected BackendFactory factory() {
    return new HttpBackendFactory();
  }

  @Override
  protected Map<String, String> config() {
    return Map.of("allowedUrlPrefixes", service.url("/v1/"));
  }

  @Override
  protected Map<String, String> attributes() {
    return Map.of("url", service.url("/v1/db?version=latest"), "audience", AUDIENCE,
        "jsonKeys", "username,password,port");
  }

  @Override
  protected Set<String> audiences() {
    return Set.of(AUDIENCE);
  }

  @Override
  protected void backendSucceeds() {
    service.answer(200, "{\"username\":\"app\",\"password\":\"s3cret\",\"port\":5432}");
  }

  @Override
  protected void backendFails(BackendException.Kind kind) {
    switch (kind) {
      case INVALID_ARGUMENT -> service.answer(200, "<html>not the JSON jsonKeys expects</html>");
      case UNAUTHENTICATED -> service.answer(401, "{\"error\":\"token not accepted\"}");
      case PERMISSION_DENIED -> service.answer(403, "{\"error\":\"not yours\"}");
      case NOT_FOUND -> service.answer(404, "{\"error\":\"no such secret\"}");
      case FAILED_PRECONDITION -> service.answer(409, "{\"error\":\"secret is disabled\"}");
      case UNAVAILABLE -> service.answer(503, "maintenance");
      case DEADLINE_EXCEEDED -> service.answer(504, "upstream timed out");
      case RESOURCE_EXHAUSTED -> service.answer(429, "{\"error\":\"rate limited\"}");
      default -> Assumptions.abort("an HTTP service cannot make the http plugin fail with " + kind);
    }
  }

  @Override
  protected void backendStalls(Duration duration) {
    backendSucceeds();
    service.stall(duration);
  }
}
