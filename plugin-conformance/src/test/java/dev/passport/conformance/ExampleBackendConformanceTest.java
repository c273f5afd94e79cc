package dev.passport.conformance;

import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.conformance.ExampleBackendFactory.Flaw;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The conformance suite run against a well-behaved plugin: everything passes. */
class ExampleBackendConformanceTest extends BackendConformance {

  ExampleSecretService service;

  /** The flaw of the plugin under test; none here. */
  Flaw flaw() {
    return Flaw.NONE;
  }

  @BeforeEach
  void startService() {
    service = new ExampleSecretService(tokens(), clock());
  }

  @AfterEach
  void stopService() {
    service.close();
  }

  @Override
  protected BackendFactory factory() {
    return new ExampleBackendFactory(service, flaw());
  }

  @Override
  protected Map<String, String> config() {
    return Map.of("audience", "example");
  }

  @Override
  protected Map<String, String> attributes() {
    return Map.of("key", "db-password");
  }

  @Override
  protected Set<String> audiences() {
    return Set.of("example");
  }

  @Override
  protected Set<String> backendSecrets() {
    return Set.of(service.accessToken());
  }

  @Override
  protected void backendSucceeds() {
    service.succeed();
  }

  @Override
  protected void backendFails(BackendException.Kind kind) {
    service.fail(kind);
  }

  @Override
  protected void backendStalls(Duration duration) {
    service.stall(duration);
  }
}
