package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every API call ends within the plugin's {@code timeout} (issue 18 item 2): behind a proxy that
 * answers the WebSocket upgrade with a plain 200, and against a server that accepts connections
 * and never answers. The fetch deadline the host gives is far longer (10 minutes), so only the
 * plugin's own bound can end these fetches; the generous bound below only keeps a regression
 * from hanging the build.
 */
class CertManagerWatchBoundsTest {

  private static final Instant START = Instant.parse("2026-11-26T12:00:00Z");
  private static final Duration GENEROUS = Duration.ofSeconds(60);

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final FakeClock clock = FakeClock.at(START);
  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private final TestBackendContext context =
      TestBackendContext.builder().clock(clock).nodeId("node-1").build();
  private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closing) {
      closeable.close();
    }
    context.close();
  }

  private Backend<CertificateAttributes> backend(String apiServer) throws BackendException {
    return backend(apiServer, "3s");
  }

  /** The short timeout is what the stall tests wait out; a test that must succeed gets a long one. */
  private Backend<CertificateAttributes> backend(String apiServer, String timeout)
      throws BackendException {
    Backend<CertificateAttributes> backend = new CertManagerBackendFactory().create(
        Map.of("apiServer", apiServer, "timeout", timeout), context);
    closing.add(0, backend);
    return backend;
  }

  private Material fetch(Backend<CertificateAttributes> backend) throws BackendException {
    return backend.fetch(backend.prepare(Map.of(ISSUER_NAME, "ca-issuer",
            DNS_NAMES, "web.example.com", KEY_ALGORITHM, "ECDSA")),
        FetchRequest.builder().volumeId("csi-1").pod(pod)
            .tokens(Map.of("", tokens.token(pod, "", START, Duration.ofHours(1))))
            .deadline(START.plus(Duration.ofMinutes(10))).build());
  }

  @Test
  void fetch_proxyAnswersTheWebSocketUpgradeWith200_pollsAndIsIssuedWithinTheTimeout() throws Exception {
    FakeCertManager certManager = new FakeCertManager(clock);
    closing.add(certManager);
    certManager.noWebSocket(true);
    // Polling must issue without the watch; 3 s would be a timing budget a loaded machine can miss.
    Backend<CertificateAttributes> backend = backend(certManager.url(), "30s");

    Material material = assertTimeoutPreemptively(GENEROUS, () -> fetch(backend));

    assertThat(material.file("tls.crt")).isPresent();
  }

  @Test
  void fetch_proxyAnswersTheWebSocketUpgradeWith200_issuerStalls_isDeadlineExceeded() throws Exception {
    FakeCertManager certManager = new FakeCertManager(clock);
    closing.add(certManager);
    certManager.noWebSocket(true);
    certManager.mode(FakeCertManager.Mode.STALL);
    Backend<CertificateAttributes> backend = backend(certManager.url());

    Throwable failure = assertTimeoutPreemptively(GENEROUS, () -> catchThrowable(() -> fetch(backend)));

    assertThat(failure).isInstanceOfSatisfying(BackendException.class,
        e -> assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED));
    assertThat(failure).hasMessageContaining("has not issued");
  }

  @Test
  void fetch_serverAcceptsAndNeverAnswers_isDeadlineExceededNamingTheTimeout() throws Exception {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    closing.add(server);
    List<Socket> held = new CopyOnWriteArrayList<>();
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          Socket socket = server.accept();
          held.add(socket);
          closing.add(socket);
          // Read what comes, answer nothing: a hung API server.
          new Thread(() -> {
            try (InputStream in = socket.getInputStream()) {
              in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (Exception e) {
              // the test closes the socket
            }
          }).start();
        }
      } catch (Exception e) {
        // closed at the end of the test
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
    Backend<CertificateAttributes> backend = backend("http://127.0.0.1:" + server.getLocalPort());

    Throwable failure = assertTimeoutPreemptively(GENEROUS, () -> catchThrowable(() -> fetch(backend)));

    assertThat(failure).isInstanceOfSatisfying(BackendException.class,
        e -> assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED));
    assertThat(failure).hasMessageContaining("within the certmanager timeout of 3s");
    assertThat(held).isNotEmpty();
  }
}
