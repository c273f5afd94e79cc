package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.secretsAttribute;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.Pod;
import dev.passport.testkit.LogCapture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the gcp backend connects, and that a volume's attributes cannot move it (issue 13): every
 * address comes from gcp.properties, except the regional endpoint a secret's location selects,
 * which must be in {@code allowedLocations}. A trap listener counts every connection it gets.
 */
class GcpOutboundReachTest {

  static final String GLOBAL = "projects/test-project/secrets/db-password/versions/3";

  @TempDir Path tempDir;
  GcpTestbed bed;
  Trap trap;
  GcpBackend backend;

  @RegisterExtension
  final LogCapture logs = LogCapture.checkingFor(() -> bed == null ? List.of() : bed.secrets());

  @BeforeEach
  void start() throws Exception {
    bed = new GcpTestbed(tempDir);
    bed.global.put(GLOBAL, "s3cret-db".getBytes(UTF_8));
    trap = new Trap();
  }

  @AfterEach
  void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
    trap.close();
    bed.close();
  }

  @Test
  void fetch_everyAttributeNamingTheTrap_connectsOnlyToTheConfiguredEndpoints() throws Exception {
    backend = bed.backend();
    String trapUrl = "https://127.0.0.1:" + trap.port();
    Map<String, String> attributes = new HashMap<>(secretsAttribute(
        "projects/127.0.0.1:" + trap.port() + "/secrets/s/versions/1", "project-as-address",
        GLOBAL, "db"));
    attributes.put(GcpConfig.AUDIENCE, trapUrl);
    attributes.put(GcpConfig.WORKLOAD_IDENTITY_PROVIDER,
        "identitynamespace:127.0.0.1:" + trapUrl);
    attributes.put(GcpConfig.SERVICE_ACCOUNT, "reader@127.0.0.1");
    attributes.put(GcpConfig.DELEGATES, "hop@127.0.0.1");
    var prepared = backend.prepare(attributes);
    Pod pod = bed.pod();
    FetchRequest request = bed.request(pod,
        Map.of(trapUrl, bed.tokens.token(pod, trapUrl, bed.clock.instant(), GcpTestbed.TOKEN_TTL)),
        Duration.ofSeconds(20));

    BackendException e =
        catchThrowableOfType(BackendException.class, () -> backend.fetch(prepared, request));

    assertThat(prepared.remote()).isEmpty();
    assertThat(e).as("the fake STS refuses the trap's audience").isNotNull();
    assertThat(trap.accepted()).as("connections the trap accepted").isZero();
  }

  @Test
  void fetch_locationNotAllowed_isPermissionDeniedAndConnectsNowhere() throws Exception {
    // a template in which the location is the whole host: only safe with a list of locations
    backend = bed.backend(locationIsTheHost("europe-west1"));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> backend.prepare(secretsAttribute(
            "projects/p/locations/localhost/secrets/s/versions/1", "s")));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("\"localhost\"", "allowedLocations");
    assertThat(trap.accepted()).isZero();
    assertThat(backend.clientEndpoints()).isEmpty();
  }

  @Test
  void fetch_locationTheOperatorAllowed_connectsToItsEndpoint() throws Exception {
    // the control: the same volume reaches the trap once the operator lists its location
    backend = bed.backend(locationIsTheHost("localhost"));
    var prepared = backend.prepare(secretsAttribute(
        "projects/p/locations/localhost/secrets/s/versions/1", "s"));
    FetchRequest request = bed.request(bed.pod(), Map.of(GcpTestbed.AUDIENCE,
        bed.token(bed.pod())), Duration.ofSeconds(10));

    BackendException e =
        catchThrowableOfType(BackendException.class, () -> backend.fetch(prepared, request));

    assertThat(prepared.remote()).contains("https://localhost:" + trap.port());
    assertThat(e.kind()).isIn(Kind.UNAVAILABLE, Kind.DEADLINE_EXCEEDED);
    assertThat(trap.accepted()).isPositive();
  }

  private Map<String, String> locationIsTheHost(String allowedLocations) {
    Map<String, String> config = bed.config();
    config.put(GcpConfig.REGIONAL_ENDPOINT_TEMPLATE, "{location}:" + trap.port());
    config.put(GcpConfig.ALLOWED_LOCATIONS, allowedLocations);
    return config;
  }

  /** A loopback listener that accepts, counts and closes every connection. */
  static final class Trap implements AutoCloseable {
    private final ServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();

    Trap() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(this::acceptAll, "trap");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int accepted() {
      return accepted.get();
    }

    private void acceptAll() {
      while (!server.isClosed()) {
        try (Socket socket = server.accept()) {
          accepted.incrementAndGet();
        } catch (IOException e) {
          return;
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
