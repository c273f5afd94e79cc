package dev.passport.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BoundedReadsTest {

  private static final int MIB = 1 << 20;

  private HttpServer server;
  private final AtomicLong written = new AtomicLong();
  private final CountDownLatch served = new CountDownLatch(1);
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // 200 MiB, chunked (no Content-Length): only the stream can tell it is too large
    server.createContext("/chunked", exchange -> {
      exchange.sendResponseHeaders(200, 0);
      byte[] chunk = new byte[64 * 1024];
      try (OutputStream out = exchange.getResponseBody()) {
        for (int i = 0; i < 200 * 16; i++) {
          out.write(chunk);
          written.addAndGet(chunk.length);
        }
      } catch (IOException e) {
        // the client hung up: what a budgeted read should make it do
      } finally {
        served.countDown();
      }
    });
    server.createContext("/declared", exchange -> {
      exchange.sendResponseHeaders(200, 10L * MIB);
      exchange.close();
    });
    server.createContext("/small", exchange -> {
      byte[] body = "hello".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort()
        + path)).build();
  }

  @Test
  void aChunkedBodyPastTheLimitEndsTheReadAndTheConnection() throws Exception {
    ByteBudget budget = ByteBudget.limitedTo(MIB);

    assertThatThrownBy(() -> client.send(get("/chunked"),
        BoundedReads.budgeted(HttpResponse.BodyHandlers.ofByteArray(), budget)))
        .isInstanceOf(IOException.class)
        .satisfies(e -> assertThat(BoundedReads.budgetFailure(e)).get()
            .satisfies(f -> {
              assertThat(f.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED);
              assertThat(f.getMessage()).contains("limit of 1048576 bytes per volume");
            }));
    assertThat(served.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(written.get()).isLessThan(100L * MIB);
  }

  @Test
  void aDeclaredLengthPastTheLimitIsRefusedBeforeReading() {
    assertThatThrownBy(() -> client.send(get("/declared"),
        BoundedReads.budgeted(HttpResponse.BodyHandlers.ofByteArray(), ByteBudget.limitedTo(MIB))))
        .satisfies(e -> assertThat(BoundedReads.budgetFailure(e)).isPresent());
  }

  @Test
  void aBodyWithinTheLimitIsReadWhole() throws Exception {
    HttpResponse<byte[]> response = client.send(get("/small"),
        BoundedReads.budgeted(HttpResponse.BodyHandlers.ofByteArray(), ByteBudget.limitedTo(5)));

    assertThat(response.body()).asString().isEqualTo("hello");
  }

  @Test
  void aStreamPastTheLimitFailsWithTheBudgetsError() {
    InputStream in = BoundedReads.budgeted(new ByteArrayInputStream(new byte[100]),
        ByteBudget.limitedTo(99));

    assertThatThrownBy(in::readAllBytes).isInstanceOf(BudgetExceededException.class)
        .satisfies(e -> assertThat(BoundedReads.budgetFailure(e)).get()
            .extracting(BackendException::kind).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED));
  }

  @Test
  void aFailureWithoutTheBudgetInItsCausesIsNotABudgetFailure() {
    assertThat(BoundedReads.budgetFailure(new IOException("reset", new RuntimeException())))
        .isEmpty();
  }
}
