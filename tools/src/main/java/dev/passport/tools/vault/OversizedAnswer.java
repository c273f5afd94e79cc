package dev.passport.tools.vault;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An oversized answer {@link VaultDevServer#answerOversized} was told to send, and how much of it
 * the client took: a test proves that a client stopped reading (closed the connection) long before
 * the whole body was sent, instead of buffering it.
 */
public final class OversizedAnswer {

  /** How the body is framed: with a {@code Content-Length} header, or chunked (no length known up front). */
  public enum Framing { CONTENT_LENGTH, CHUNKED }

  private final long bytes;
  private final Framing framing;
  private final AtomicLong sent = new AtomicLong();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile boolean closedByClient;

  OversizedAnswer(long bytes, Framing framing) {
    this.bytes = bytes;
    this.framing = framing;
  }

  /** The body size the answer announces (or would send, chunked). */
  public long bytes() {
    return bytes;
  }

  public Framing framing() {
    return framing;
  }

  /** Body bytes written to the connection so far (some may still sit in socket buffers). */
  public long bytesSent() {
    return sent.get();
  }

  /**
   * Waits until the answer ended; true when the client closed the connection before the whole
   * body was sent, false when it was sent whole or {@code timeout} passed first.
   */
  public boolean awaitClosedByClient(Duration timeout) throws InterruptedException {
    return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && closedByClient;
  }

  /** Whether the request arrived and the answer has ended, either way. */
  public boolean ended() {
    return ended.getCount() == 0;
  }

  void wrote(long count) {
    sent.addAndGet(count);
  }

  void end(boolean byClient) {
    closedByClient = byClient;
    ended.countDown();
  }

  @Override
  public String toString() {
    return "OversizedAnswer[" + framing + ", " + bytes + " bytes, " + sent.get() + " sent"
        + (ended() ? closedByClient ? ", closed by the client" : ", sent whole" : "") + "]";
  }
}
