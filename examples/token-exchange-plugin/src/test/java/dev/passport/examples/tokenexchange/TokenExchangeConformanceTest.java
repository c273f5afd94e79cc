package dev.passport.examples.tokenexchange;

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

/**
 * Passport's conformance suite (plugin-conformance): the plugin inside a real host, driven by a
 * fake kubelet over a real Unix socket.
 */
class TokenExchangeConformanceTest extends BackendConformance {

  private FakeTokenEndpoint endpoint;

  @BeforeEach
  void startEndpoint() throws IOException {
    endpoint = new FakeTokenEndpoint(tokens(), clock(), "sts");
  }

  @AfterEach
  void stopEndpoint() {
    endpoint.close();
  }

  @Override
  protected BackendFactory factory() {
    return new TokenExchangeBackendFactory();
  }

  @Override
  protected Map<String, String> config() {
    return Map.of("tokenUrl", endpoint.url(), "audience", "sts");
  }

  @Override
  protected Map<String, String> attributes() {
    return Map.of("scope", "registry:pull", "file", "access-token");
  }

  @Override
  protected Set<String> audiences() {
    return Set.of("sts");
  }

  @Override
  protected void backendSucceeds() {
    endpoint.succeed();
  }

  @Override
  protected void backendFails(BackendException.Kind kind) {
    switch (kind) {
      case INVALID_ARGUMENT -> endpoint.fail(400, "invalid_scope");
      case UNAUTHENTICATED -> endpoint.fail(400, "invalid_grant");
      case PERMISSION_DENIED -> endpoint.fail(403, "");
      case NOT_FOUND -> endpoint.fail(404, "");
      case FAILED_PRECONDITION -> endpoint.fail(409, "");
      case UNAVAILABLE -> endpoint.fail(503, "");
      case DEADLINE_EXCEEDED -> endpoint.fail(504, "");
      case RESOURCE_EXHAUSTED -> endpoint.fail(429, "");
      case INTERNAL -> endpoint.fail(200, "");
      // new kinds may be added to the plugin API: report them as skipped until handled here
      default -> Assumptions.abort("the token endpoint cannot produce " + kind);
    }
  }

  @Override
  protected void backendStalls(Duration duration) {
    endpoint.stall(duration);
  }
}
