package dev.passport.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.metrics.Scrape;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stalled clients on the metrics port (issue 13): before, one connection that sent half a request
 * line held the endpoint's only thread, and /healthz (the liveness probe) went unanswered.
 */
class MetricsSlowlorisTest {

  /** Generous: the exchange timeout is 5 s; a loaded 2-core machine may add a few. */
  private static final int PATIENCE_MILLIS = 30_000;

  private final List<Socket> stalled = new ArrayList<>();
  private MetricsServer server;

  @BeforeEach
  void start() throws Exception {
    server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), PrometheusMetrics.create(),
        () -> true);
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : stalled) {
      socket.close();
    }
    server.close();
  }

  @Test
  void healthzAndMetrics_whileConnectionsSendNothingOrHalfARequestLine_stillAnswer()
      throws Exception {
    for (int i = 0; i < 20; i++) {
      stall(i % 2 == 0 ? "" : "GET /heal");
    }

    HttpResponse<String> health = Scrape.get(server.address(), "/healthz");
    Scrape metrics = Scrape.of(server.address());

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");
    assertThat(metrics).isNotNull();
  }

  @Test
  void healthz_whileMoreStalledConnectionsAreOpenThanTheServerKeeps_stillAnswers()
      throws Exception {
    for (int i = 0; i < MetricsServer.MAX_CONNECTIONS * 2; i++) {
      stall("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    }

    HttpResponse<String> health = Scrape.get(server.address(), "/healthz");

    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  void stalledConnection_isClosedByTheServerAfterTheExchangeTimeout() throws Exception {
    Socket socket = stall("GET /healthz HTTP/1.1\r\n");
    socket.setSoTimeout(PATIENCE_MILLIS);

    int read = readAll(socket.getInputStream());

    assertThat(read).as("bytes the server sent before closing").isZero();
  }

  @Test
  void requestHeadLongerThanTheLimit_isAnswered431() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.address().getPort())) {
      socket.setSoTimeout(PATIENCE_MILLIS);
      String huge = "GET /healthz HTTP/1.1\r\nX-Filler: " + "a".repeat(MetricsServer.MAX_REQUEST_HEAD);
      socket.getOutputStream().write(huge.getBytes(StandardCharsets.US_ASCII));

      String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);

      assertThat(answer).isEqualTo("HTTP/1.1 431");
    }
  }

  @Test
  void head_answersTheHeadersWithoutABody() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.address().getPort())) {
      socket.setSoTimeout(PATIENCE_MILLIS);
      socket.getOutputStream().write(
          "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

      assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n");
    }
  }

  private Socket stall(String partialRequest) throws IOException {
    Socket socket = new Socket("127.0.0.1", server.address().getPort());
    stalled.add(socket);
    if (!partialRequest.isEmpty()) {
      socket.getOutputStream().write(partialRequest.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    }
    return socket;
  }

  /** Bytes until the server closes; fails the test if it never does within the patience. */
  private static int readAll(InputStream in) throws IOException {
    try {
      return in.readAllBytes().length;
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept a stalled connection open for "
          + PATIENCE_MILLIS + " ms", e);
    }
  }
}
