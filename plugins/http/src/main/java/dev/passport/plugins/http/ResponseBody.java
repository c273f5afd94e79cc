package dev.passport.plugins.http;

import java.io.InputStream;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body as the buffers it arrived in, read once: joined into one array for a file, or
 * streamed to the JSON parser without being joined at all. Buffers are let go as they are used,
 * so a body is held about once, not twice, on its way out (the JDK's {@code ofByteArray} holds
 * its buffers and the joined array together).
 */
final class ResponseBody {

  private static final ResponseBody EMPTY = new ResponseBody(List.of(), 0);

  private final Deque<ByteBuffer> chunks;
  private final long size;

  private ResponseBody(List<ByteBuffer> chunks, long size) {
    this.chunks = new ArrayDeque<>(chunks);
    this.size = size;
  }

  /** Collects the body's buffers; wrap it in {@code BoundedReads.budgeted} to bound them. */
  static BodySubscriber<ResponseBody> collecting() {
    return new Collector();
  }

  /**
   * Reads none of the body and gives up the connection: an error answer's body is never used, so
   * a hostile server's 200 MB error page costs nothing.
   */
  static BodySubscriber<ResponseBody> abandoned() {
    return new Abandoner();
  }

  long size() {
    return size;
  }

  /** The body in one array; this body is empty afterwards. */
  byte[] drain() {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("a body of " + size + " bytes does not fit an array");
    }
    byte[] bytes = new byte[(int) size];
    int at = 0;
    for (ByteBuffer chunk = chunks.poll(); chunk != null; chunk = chunks.poll()) {
      int n = chunk.remaining();
      chunk.get(bytes, at, n);
      at += n;
    }
    return bytes;
  }

  /** The body as a stream that lets each buffer go once read; this body is empty afterwards. */
  InputStream stream() {
    return new InputStream() {
      @Override
      public int read() {
        ByteBuffer chunk = current();
        return chunk == null ? -1 : chunk.get() & 0xff;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) {
        if (length == 0) {
          return 0;
        }
        ByteBuffer chunk = current();
        if (chunk == null) {
          return -1;
        }
        int n = Math.min(length, chunk.remaining());
        chunk.get(buffer, offset, n);
        return n;
      }

      private ByteBuffer current() {
        while (!chunks.isEmpty() && !chunks.peek().hasRemaining()) {
          chunks.poll();
        }
        return chunks.peek();
      }
    };
  }

  private static final class Collector implements BodySubscriber<ResponseBody> {
    private final CompletableFuture<ResponseBody> body = new CompletableFuture<>();
    private final List<ByteBuffer> chunks = new ArrayList<>();
    private long size;

    @Override
    public CompletionStage<ResponseBody> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      // the client hands each buffer over for good (HttpResponse.BodySubscriber): keeping is safe
      for (ByteBuffer item : items) {
        if (item.hasRemaining()) {
          chunks.add(item);
          size += item.remaining();
        }
      }
    }

    @Override
    public void onError(Throwable throwable) {
      chunks.clear();
      body.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      body.complete(new ResponseBody(chunks, size));
      chunks.clear();
    }
  }

  private static final class Abandoner implements BodySubscriber<ResponseBody> {
    private final CompletableFuture<ResponseBody> body = new CompletableFuture<>();

    @Override
    public CompletionStage<ResponseBody> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      // the body first: over HTTP/2 the JDK fails an exchange whose stream was cancelled before
      // its body completed, and the status (404, 503, ...) would be lost to "stream cancelled"
      body.complete(EMPTY);
      subscription.cancel();
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      // cancelled: nothing more is read
    }

    @Override
    public void onError(Throwable throwable) {
      body.complete(EMPTY);
    }

    @Override
    public void onComplete() {
      body.complete(EMPTY);
    }
  }
}
