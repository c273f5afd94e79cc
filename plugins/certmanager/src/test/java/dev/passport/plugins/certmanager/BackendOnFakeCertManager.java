package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.TestBackendContext;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The backend unit tests' one set-up, as a {@code @RegisterExtension} field: before each test the
 * fake cert-manager and a backend context on one fake clock at {@link #START}, and the plugin's
 * backend against that API server; after it, the backend made last, the context and the fake are
 * closed.
 */
final class BackendOnFakeCertManager implements BeforeEachCallback, AfterEachCallback {

  static final Instant START = Instant.parse("2026-11-26T12:00:00Z");
  /**
   * The deadline of a fetch meant to wait out a stalled issuer. The plugin waits until the
   * earlier of the fetch's deadline and its timeout, so the stall costs this much while the
   * backend's timeout stays long enough for every API call on a loaded machine: a 300 ms
   * timeout made the calls of the fetches that must succeed time out on a loaded CI machine.
   */
  static final Duration STALL_WAIT = Duration.ofSeconds(2);

  final FakeClock clock = FakeClock.at(START);
  private final Map<String, String> config;
  FakeCertManager certManager;
  TestBackendContext context;
  private CertManagerBackend backend;

  private BackendOnFakeCertManager(Map<String, String> config) {
    this.config = Map.copyOf(config);
  }

  /** Each test's backend gets the plugin's {@code timeout} setting. */
  static BackendOnFakeCertManager withTimeout(String timeout) {
    return withConfig(Map.of("timeout", timeout));
  }

  /** Each test's backend gets {@code config} (besides {@code apiServer}). */
  static BackendOnFakeCertManager withConfig(Map<String, String> config) {
    return new BackendOnFakeCertManager(config);
  }

  @Override
  public void beforeEach(ExtensionContext extension) throws Exception {
    certManager = new FakeCertManager(clock);
    context = TestBackendContext.builder().clock(clock).nodeId("node-1").build();
    newBackend(config);
  }

  /** The backend made last. */
  CertManagerBackend backend() {
    return backend;
  }

  /**
   * A new backend against the fake with {@code config} besides {@code apiServer}; the caller
   * closes the one it replaces.
   */
  CertManagerBackend newBackend(Map<String, String> config) throws BackendException {
    Map<String, String> all = new HashMap<>(config);
    all.put("apiServer", certManager.url());
    backend = (CertManagerBackend) new CertManagerBackendFactory().create(all, context);
    return backend;
  }

  @Override
  public void afterEach(ExtensionContext extension) {
    try {
      if (backend != null) {
        backend.close();
      }
      if (context != null) {
        context.close();
      }
    } finally {
      if (certManager != null) {
        certManager.close();
      }
    }
  }
}
