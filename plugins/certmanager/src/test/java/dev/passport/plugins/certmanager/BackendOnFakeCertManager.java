package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.TestBackendContext;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The backend unit tests' one set-up: the fake cert-manager and a backend context on one fake
 * clock at {@link #START}, and the plugin's backend against that API server. {@link #close}
 * closes the backend made last, then the context and the fake.
 */
final class BackendOnFakeCertManager implements AutoCloseable {

  static final Instant START = Instant.parse("2026-11-26T12:00:00Z");

  final FakeClock clock = FakeClock.at(START);
  final FakeCertManager certManager;
  final TestBackendContext context;
  private CertManagerBackend backend;

  /** The fake, the context, and a backend with the plugin's {@code timeout} setting. */
  static BackendOnFakeCertManager start(String timeout) throws Exception {
    BackendOnFakeCertManager started = new BackendOnFakeCertManager();
    try {
      started.newBackend(Map.of("timeout", timeout));
    } catch (BackendException | RuntimeException e) {
      started.close();
      throw e;
    }
    return started;
  }

  private BackendOnFakeCertManager() throws Exception {
    certManager = new FakeCertManager(clock);
    context = TestBackendContext.builder().clock(clock).nodeId("node-1").build();
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
  public void close() {
    try {
      if (backend != null) {
        backend.close();
      }
      context.close();
    } finally {
      certManager.close();
    }
  }
}
