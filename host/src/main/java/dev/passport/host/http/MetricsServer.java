package dev.passport.host.http;

import static java.util.Objects.requireNonNull;

import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.threads.DaemonThreads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's small HTTP endpoint: {@code GET /metrics} (Prometheus text format) and
 * {@code GET /healthz} (200 {@code ok} while the host is up, 503 otherwise; a second line
 * {@code backends: a,b} lists the backends served, so a wrong plugins dir shows in a probe).
 *
 * <p>One daemon thread serves every connection without blocking on any (a selector), so a client
 * that connects and sends nothing, or half a request line, holds no thread and delays no other
 * request (issue 13: a single stalled connection used to block {@code /healthz}, and with it the
 * liveness probe). Each connection has {@link #EXCHANGE_TIMEOUT} for its whole exchange, request
 * and response; a request head longer than {@link #MAX_REQUEST_HEAD} is refused; at most
 * {@link #MAX_CONNECTIONS} are open, and a new one closes the oldest (a real probe or scrape takes
 * milliseconds, so the oldest is a stalled one). Every answer closes its connection.
 *
 * <p>Not the JDK's {@code com.sun.net.httpserver}: it reads a request on an executor thread with
 * blocking reads, and its only timeouts are JVM-wide system properties read once at class
 * initialisation; tried on JDK 17, a half-sent request line blocked {@code /healthz} without
 * {@code sun.net.httpserver.maxReqTime}, and with it the probe queued behind was reset too.
 */
public final class MetricsServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  /** The most a connection may take from accept to the last byte of the answer. */
  static final Duration EXCHANGE_TIMEOUT = Duration.ofSeconds(5);
  /** Open connections at once; kubelet probes and a Prometheus scrape need one or two. */
  static final int MAX_CONNECTIONS = 64;
  /** A request line and headers longer than this are answered 431. */
  static final int MAX_REQUEST_HEAD = 8 * 1024;

  private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

  private final ServerSocketChannel listener;
  private final Selector selector;
  private final PrometheusMetrics metrics;
  private final BooleanSupplier healthy;
  private final Supplier<? extends Collection<String>> backends;
  /** Accept order: the first is the oldest. Touched only by the serving thread. */
  private final Deque<Connection> connections = new ArrayDeque<>();
  private final Thread thread;
  private volatile boolean running = true;

  private MetricsServer(ServerSocketChannel listener, Selector selector, PrometheusMetrics metrics,
      BooleanSupplier healthy, Supplier<? extends Collection<String>> backends) {
    this.backends = backends;
    this.listener = listener;
    this.selector = selector;
    this.metrics = metrics;
    this.healthy = healthy;
    this.thread = DaemonThreads.named("metrics-http").newThread(this::serve);
  }

  /**
   * Binds {@code address} and serves until {@link #close()}.
   *
   * @param healthy whether plugins are loaded and the CSI socket is bound (the host started and is not closed)
   */
  public static MetricsServer start(InetSocketAddress address, PrometheusMetrics metrics,
      BooleanSupplier healthy) throws IOException {
    return start(address, metrics, healthy, null);
  }

  /**
   * Binds {@code address} and serves until {@link #close()}; {@code /healthz} also lists
   * {@code backends} (sorted, comma-separated) on a second line {@code backends: ...}.
   *
   * @param backends the backends the host serves (asked at each probe), or null for no list
   * @throws IOException when {@code address} cannot be bound, naming it and the flag
   */
  public static MetricsServer start(InetSocketAddress address, PrometheusMetrics metrics,
      BooleanSupplier healthy, Supplier<? extends Collection<String>> backends) throws IOException {
    requireNonNull(address, "address is null");
    requireNonNull(metrics, "metrics is null");
    requireNonNull(healthy, "healthy is null");
    ServerSocketChannel listener = ServerSocketChannel.open();
    Selector selector;
    try {
      listener.bind(address, 16);
      listener.configureBlocking(false);
      selector = Selector.open();
      listener.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException e) {
      listener.close();
      throw new IOException("cannot listen for metrics on " + address + ": " + e.getMessage()
          + "; pick another --metrics-address or 0 to turn metrics off", e);
    }
    MetricsServer server = new MetricsServer(listener, selector, metrics, healthy, backends);
    server.thread.start();
    LOG.info("metrics on http://{}/metrics, health on /healthz", hostAndPort(server.address()));
    return server;
  }

  /** The bound address (the real port when started on port 0). */
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) listener.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException("metrics listener is closed", e);
    }
  }

  @Override
  public void close() {
    running = false;
    selector.wakeup();
    try {
      thread.join(EXCHANGE_TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void serve() {
    try {
      while (running) {
        selector.select(nextDeadlineMillis());
        Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
        while (ready.hasNext()) {
          SelectionKey key = ready.next();
          ready.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            accept();
          } else if (key.attachment() instanceof Connection connection) {
            connection.onReady(key);
          }
        }
        closeExpired();
      }
    } catch (IOException | RuntimeException e) {
      LOG.error("metrics endpoint stopped: {}", e.toString());
    } finally {
      new ArrayList<>(connections).forEach(Connection::close);
      closeQuietly(selector);
      closeQuietly(listener);
    }
  }

  private void accept() throws IOException {
    SocketChannel channel;
    while ((channel = listener.accept()) != null) {
      if (connections.size() >= MAX_CONNECTIONS) {
        connections.peekFirst().close();
      }
      channel.configureBlocking(false);
      Connection connection = new Connection(channel, System.nanoTime()
          + EXCHANGE_TIMEOUT.toNanos());
      channel.register(selector, SelectionKey.OP_READ, connection);
      connections.addLast(connection);
    }
  }

  private long nextDeadlineMillis() {
    Connection oldest = connections.peekFirst();
    if (oldest == null) {
      return 0; // no timeout: only an accept or close() wakes the selector
    }
    return Math.max(1, (oldest.deadline - System.nanoTime()) / 1_000_000 + 1);
  }

  private void closeExpired() {
    long now = System.nanoTime();
    // Deadlines grow in accept order, so the expired ones are at the front.
    while (!connections.isEmpty() && connections.peekFirst().deadline - now <= 0) {
      connections.peekFirst().close();
    }
  }

  /** What a request asks for, answered in full and at once: nothing here is slow. */
  private byte[] answer(String method, String path) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return response(405, "method not allowed\n", method, "Allow: GET, HEAD\r\n");
    }
    return switch (path) {
      case "/metrics" -> metricsResponse(method);
      case "/healthz" -> {
        boolean up = healthy.getAsBoolean();
        yield response(up ? 200 : 503, healthBody(up), method, "");
      }
      default -> response(404, "not found: try /metrics or /healthz\n", method, "");
    };
  }

  private String healthBody(boolean up) {
    String status = up ? "ok\n" : "not ready\n";
    if (backends == null) {
      return status;
    }
    return status + "backends: " + String.join(",", new TreeSet<>(backends.get())) + "\n";
  }

  private byte[] metricsResponse(String method) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      metrics.scrape(body);
    } catch (IOException | RuntimeException e) {
      LOG.warn("metrics scrape failed: {}", e.toString());
      return response(500, "scrape failed; see the driver's log\n", method, "");
    }
    return response(200, body.toByteArray(), PrometheusMetrics.contentType(), method, "");
  }

  private static byte[] response(int status, String body, String method, String headers) {
    return response(status, body.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8",
        method, headers);
  }

  private static byte[] response(int status, byte[] body, String contentType, String method,
      String headers) {
    String head = "HTTP/1.1 " + status + " " + reason(status) + "\r\n"
        + "Content-Type: " + contentType + "\r\n"
        + "Content-Length: " + body.length + "\r\n"
        + headers
        + "Connection: close\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
    if (method.equals("HEAD")) {
      return headBytes;
    }
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Internal Server Error";
    };
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing: nothing left to tell
    }
  }

  private static String hostAndPort(InetSocketAddress address) {
    String host = address.getAddress().isAnyLocalAddress() ? "0.0.0.0" : address.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** One client: its request head as it arrives, then its answer as the socket takes it. */
  private final class Connection {
    final SocketChannel channel;
    final long deadline;
    private final ByteBuffer head = ByteBuffer.allocate(MAX_REQUEST_HEAD);
    private ByteBuffer out;
    /** Answered: reading what the client still sends until it closes, so it gets no reset. */
    private boolean draining;
    private boolean closed;

    Connection(SocketChannel channel, long deadline) {
      this.channel = channel;
      this.deadline = deadline;
    }

    void onReady(SelectionKey key) {
      try {
        if (draining) {
          drain();
          return;
        }
        if (out == null && key.isReadable()) {
          read(key);
        }
        if (out != null && key.isValid()) {
          write(key);
        }
      } catch (IOException e) {
        LOG.debug("metrics connection failed: {}", e.toString());
        close();
      }
    }

    private void read(SelectionKey key) throws IOException {
      if (channel.read(head) < 0) {
        close();
        return;
      }
      int end = indexOf(head, END_OF_HEAD);
      if (end >= 0) {
        respond(key, parse(new String(head.array(), 0, end, StandardCharsets.ISO_8859_1)));
      } else if (!head.hasRemaining()) {
        respond(key, response(431, "request head longer than " + MAX_REQUEST_HEAD + " bytes\n",
            "GET", ""));
      }
    }

    private byte[] parse(String head) {
      int lineEnd = head.indexOf("\r\n");
      String[] parts = (lineEnd < 0 ? head : head.substring(0, lineEnd)).split(" ");
      if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
        return response(400, "bad request line\n", "GET", "");
      }
      String target = parts[1];
      int query = target.indexOf('?');
      return answer(parts[0], query < 0 ? target : target.substring(0, query));
    }

    private void respond(SelectionKey key, byte[] answer) {
      out = ByteBuffer.wrap(answer);
      key.interestOps(SelectionKey.OP_WRITE);
    }

    private void write(SelectionKey key) throws IOException {
      channel.write(out);
      if (!out.hasRemaining()) {
        // Closing with unread request bytes (a body) would reset the connection, and the client
        // might lose the answer: half-close, then read until the client closes (or the deadline).
        channel.shutdownOutput();
        draining = true;
        head.clear();
        key.interestOps(SelectionKey.OP_READ);
      }
    }

    private void drain() throws IOException {
      head.clear();
      if (channel.read(head) < 0) {
        close();
      }
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      connections.remove(this);
      closeQuietly(channel);
    }
  }

  private static int indexOf(ByteBuffer buffer, byte[] pattern) {
    byte[] bytes = buffer.array();
    int filled = buffer.position();
    outer:
    for (int i = 0; i + pattern.length <= filled; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (bytes[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
