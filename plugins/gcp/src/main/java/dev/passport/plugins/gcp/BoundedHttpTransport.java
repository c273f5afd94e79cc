package dev.passport.plugins.gcp;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.LowLevelHttpRequest;
import com.google.api.client.http.LowLevelHttpResponse;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * The HTTP transport google-auth-library's STS, IAM Credentials and metadata calls go through,
 * reading every answer through a cap: a token answer is a few hundred bytes, and without the cap
 * google-http-client buffers whatever the server sends (issue 13). Over the cap a successful answer
 * fails with {@link ResponseTooLargeException}, before a byte is read when its
 * {@code Content-Length} says so; an error answer is cut at the cap (only Google's message is
 * quoted from it, and google-http-client prints the stack trace of an exception thrown while it
 * reads an error body). A gzip answer is inflated here, so the cap holds for what is inflated.
 *
 * <p>It also sees what google-auth-library drops: the HTTP status. An HTTP 429 becomes
 * {@link TooManyRequestsException}, which {@link GoogleErrors} maps to RESOURCE_EXHAUSTED.
 */
final class BoundedHttpTransport extends HttpTransport {

  /** The most bytes read of any answer: token answers are tiny, Google's error bodies small. */
  static final int RESPONSE_LIMIT = 64 * 1024;

  // HttpTransport.buildRequest is protected: a subclass may call it only on itself
  private static final Method BUILD_REQUEST = buildRequestMethod();

  private final HttpTransport delegate;
  private final int limit;

  BoundedHttpTransport(HttpTransport delegate, int limit) {
    this.delegate = delegate;
    this.limit = limit;
  }

  /** An answer larger than the transport reads. */
  static final class ResponseTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    ResponseTooLargeException(String endpoint, int limit) {
      super(endpoint + " answered more than " + limit + " bytes; token endpoints answer a few"
          + " hundred: check that stsTokenUrl and iamCredentialsUrl in gcp.properties point at"
          + " Google's STS and IAM Credentials");
    }
  }

  /** An HTTP 429: Google's rate limit or quota. */
  static final class TooManyRequestsException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String endpoint;
    private final String googleMessage;

    TooManyRequestsException(String endpoint, String googleMessage) {
      super(endpoint + " answered HTTP 429 Too Many Requests: " + googleMessage);
      this.endpoint = endpoint;
      this.googleMessage = googleMessage;
    }

    /** Scheme, host, port and path of the URL that answered. */
    String endpoint() {
      return endpoint;
    }

    /** Google's explanation from the error body. */
    String googleMessage() {
      return googleMessage;
    }
  }

  @Override
  protected LowLevelHttpRequest buildRequest(String method, String url) throws IOException {
    LowLevelHttpRequest request;
    try {
      request = (LowLevelHttpRequest) BUILD_REQUEST.invoke(delegate, method, url);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("cannot build an HTTP request to " + endpoint(url), e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
    return new BoundedRequest(request, endpoint(url), limit);
  }

  @Override
  public boolean supportsMethod(String method) throws IOException {
    return delegate.supportsMethod(method);
  }

  @Override
  public boolean isMtls() {
    return delegate.isMtls();
  }

  @Override
  public void shutdown() throws IOException {
    delegate.shutdown();
  }

  @Override
  public boolean isShutdown() {
    return delegate.isShutdown();
  }

  /** Scheme, host, port and path of {@code url}: what messages may name (no query, no user info). */
  static String endpoint(String url) {
    try {
      URI uri = URI.create(url);
      return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
          + (uri.getRawPath() == null ? "" : uri.getRawPath());
    } catch (IllegalArgumentException e) {
      return "the token endpoint";
    }
  }

  private static Method buildRequestMethod() {
    try {
      Method method =
          HttpTransport.class.getDeclaredMethod("buildRequest", String.class, String.class);
      method.setAccessible(true);
      return method;
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final class BoundedRequest extends LowLevelHttpRequest {
    private final LowLevelHttpRequest delegate;
    private final String endpoint;
    private final int limit;

    BoundedRequest(LowLevelHttpRequest delegate, String endpoint, int limit) {
      this.delegate = delegate;
      this.endpoint = endpoint;
      this.limit = limit;
    }

    @Override
    public void addHeader(String name, String value) throws IOException {
      delegate.addHeader(name, value);
    }

    @Override
    public void setTimeout(int connectTimeout, int readTimeout) throws IOException {
      delegate.setTimeout(connectTimeout, readTimeout);
    }

    @Override
    public void setWriteTimeout(int writeTimeout) throws IOException {
      delegate.setWriteTimeout(writeTimeout);
    }

    @Override
    public LowLevelHttpResponse execute() throws IOException {
      delegate.setContentLength(getContentLength());
      delegate.setContentEncoding(getContentEncoding());
      delegate.setContentType(getContentType());
      delegate.setStreamingContent(getStreamingContent());
      LowLevelHttpResponse response = delegate.execute();
      int status = response.getStatusCode();
      boolean success = status >= 200 && status < 300;
      if (success && response.getContentLength() > limit) {
        response.disconnect();
        throw new ResponseTooLargeException(endpoint, limit);
      }
      BoundedResponse bounded = new BoundedResponse(response, endpoint, limit, success);
      if (status == 429) {
        String body = bounded.readErrorBody();
        throw new TooManyRequestsException(endpoint,
            GoogleErrors.googleMessage(body).orElse("quota or rate limit exceeded"));
      }
      if (success && ImpersonationAnswer.isFor(endpoint)) {
        // google-auth-library cannot parse the fractional seconds Google's expireTime may have
        byte[] body;
        try (InputStream in = bounded.getContent()) {
          body = in == null ? new byte[0] : in.readAllBytes();
        } finally {
          bounded.disconnect();
        }
        return new ReplayedResponse(bounded, ImpersonationAnswer.normalize(body, endpoint));
      }
      return bounded;
    }
  }

  private static final class BoundedResponse extends LowLevelHttpResponse {
    private final LowLevelHttpResponse delegate;
    private final String endpoint;
    private final int limit;
    private final boolean success;
    private final boolean gzip;

    BoundedResponse(LowLevelHttpResponse delegate, String endpoint, int limit, boolean success)
        throws IOException {
      this.delegate = delegate;
      this.endpoint = endpoint;
      this.limit = limit;
      this.success = success;
      String encoding = delegate.getContentEncoding();
      String normalized = encoding == null ? "" : encoding.strip().toLowerCase(Locale.ROOT);
      this.gzip = normalized.equals("gzip") || normalized.equals("x-gzip");
    }

    @Override
    public InputStream getContent() throws IOException {
      InputStream raw = delegate.getContent();
      if (raw == null) {
        return null;
      }
      InputStream wire = new CappedInputStream(raw, endpoint, limit, success, delegate);
      // google-http-client would inflate it above the cap: inflate here and cap what comes out
      return gzip
          ? new CappedInputStream(new GZIPInputStream(wire), endpoint, limit, success, delegate)
          : wire;
    }

    /** The error body, at most {@code limit} bytes of it, for Google's message. */
    String readErrorBody() throws IOException {
      try (InputStream in = getContent()) {
        return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } finally {
        delegate.disconnect();
      }
    }

    @Override
    public String getContentEncoding() throws IOException {
      return gzip ? null : delegate.getContentEncoding();
    }

    @Override
    public long getContentLength() throws IOException {
      return gzip ? -1 : delegate.getContentLength();
    }

    @Override
    public String getContentType() throws IOException {
      return delegate.getContentType();
    }

    @Override
    public String getStatusLine() throws IOException {
      return delegate.getStatusLine();
    }

    @Override
    public int getStatusCode() throws IOException {
      return delegate.getStatusCode();
    }

    @Override
    public String getReasonPhrase() throws IOException {
      return delegate.getReasonPhrase();
    }

    @Override
    public int getHeaderCount() throws IOException {
      return delegate.getHeaderCount();
    }

    @Override
    public String getHeaderName(int index) throws IOException {
      return delegate.getHeaderName(index);
    }

    @Override
    public String getHeaderValue(int index) throws IOException {
      return delegate.getHeaderValue(index);
    }

    @Override
    public void disconnect() throws IOException {
      delegate.disconnect();
    }
  }

  /** An answer read in full here, handed on as {@code content}. */
  private static final class ReplayedResponse extends LowLevelHttpResponse {
    private final LowLevelHttpResponse delegate;
    private final byte[] content;

    ReplayedResponse(LowLevelHttpResponse delegate, byte[] content) {
      this.delegate = delegate;
      this.content = content;
    }

    @Override
    public InputStream getContent() {
      return new java.io.ByteArrayInputStream(content);
    }

    @Override
    public String getContentEncoding() {
      return null;
    }

    @Override
    public long getContentLength() {
      return content.length;
    }

    @Override
    public String getContentType() throws IOException {
      return delegate.getContentType();
    }

    @Override
    public String getStatusLine() throws IOException {
      return delegate.getStatusLine();
    }

    @Override
    public int getStatusCode() throws IOException {
      return delegate.getStatusCode();
    }

    @Override
    public String getReasonPhrase() throws IOException {
      return delegate.getReasonPhrase();
    }

    @Override
    public int getHeaderCount() throws IOException {
      return delegate.getHeaderCount();
    }

    @Override
    public String getHeaderName(int index) throws IOException {
      return delegate.getHeaderName(index);
    }

    @Override
    public String getHeaderValue(int index) throws IOException {
      return delegate.getHeaderValue(index);
    }

    @Override
    public void disconnect() {
      // already read and disconnected
    }
  }

  /**
   * Reads at most {@code limit} bytes. Past it, a successful answer fails; an error answer ends,
   * so that google-http-client's error handling gets the start of the body and no exception.
   */
  private static final class CappedInputStream extends FilterInputStream {
    private final String endpoint;
    private final int limit;
    private final boolean failPastLimit;
    private final LowLevelHttpResponse response;
    private long remaining;

    CappedInputStream(InputStream in, String endpoint, int limit, boolean failPastLimit,
        LowLevelHttpResponse response) {
      super(in);
      this.endpoint = endpoint;
      this.limit = limit;
      this.failPastLimit = failPastLimit;
      this.response = response;
      this.remaining = limit;
    }

    @Override
    public int read() throws IOException {
      if (remaining == 0) {
        return pastLimit();
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      if (remaining == 0) {
        return pastLimit();
      }
      int n = in.read(buffer, offset, (int) Math.min(length, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(Math.min(n, remaining));
      remaining -= skipped;
      return skipped;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), remaining);
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    /** At the limit: the end of an error body, or the failure of an answer with more to come. */
    private int pastLimit() throws IOException {
      if (!failPastLimit || in.read() < 0) {
        return -1;
      }
      // the rest is never read: drop the connection rather than let the JDK drain it for reuse
      try {
        response.disconnect();
      } catch (IOException | RuntimeException e) {
        // already gone
      }
      throw new ResponseTooLargeException(endpoint, limit);
    }
  }
}
