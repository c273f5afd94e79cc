package dev.passport.plugins.certmanager;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient.Redirect;
import java.net.http.HttpClient.Version;
import java.time.Duration;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * fabric8's JDK HTTP client for one fetch, bounded: what the API server sends is charged to the
 * fetch's {@link ReadCap} ({@link CappedHttpClient}), redirects are never followed, and fabric8's
 * request logging is off.
 */
final class CappedHttpClientFactory extends JdkHttpClientFactory {

  /**
   * fabric8's name for the interceptor it adds when its logger is at TRACE: that interceptor logs
   * every request header, {@code Authorization: Bearer <the pod's token>} included, and keeps a
   * copy of up to 2 MiB of each response body for the log.
   */
  static final String FABRIC8_HTTP_LOGGING = "HttpLogging";

  private final ReadCap cap;

  CappedHttpClientFactory(ReadCap cap) {
    this.cap = cap;
  }

  @Override
  public HttpClient.Builder newBuilder(Config config) {
    HttpClient.Builder builder = super.newBuilder(config);
    builder.addOrReplaceInterceptor(FABRIC8_HTTP_LOGGING, null);
    return builder;
  }

  @Override
  protected java.net.http.HttpClient.Builder createNewHttpClientBuilder() {
    return new CappedBuilder(super.createNewHttpClientBuilder(), cap);
  }

  /**
   * Runs after fabric8 applied the configuration, which asks for {@code Redirect.ALWAYS}: the
   * only address the plugin talks to is the operator's API server, and a redirect would take the
   * pod's token to wherever the {@code Location} header points.
   */
  @Override
  protected void additionalConfig(java.net.http.HttpClient.Builder builder) {
    builder.followRedirects(Redirect.NEVER);
  }

  /** The JDK's builder, whose client comes out wrapped in a {@link CappedHttpClient}. */
  private static final class CappedBuilder implements java.net.http.HttpClient.Builder {
    private final java.net.http.HttpClient.Builder delegate;
    private final ReadCap cap;

    CappedBuilder(java.net.http.HttpClient.Builder delegate, ReadCap cap) {
      this.delegate = delegate;
      this.cap = cap;
    }

    @Override
    public java.net.http.HttpClient build() {
      return new CappedHttpClient(delegate.build(), cap);
    }

    @Override
    public java.net.http.HttpClient.Builder cookieHandler(CookieHandler cookieHandler) {
      delegate.cookieHandler(cookieHandler);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder connectTimeout(Duration duration) {
      delegate.connectTimeout(duration);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder sslContext(SSLContext sslContext) {
      delegate.sslContext(sslContext);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder sslParameters(SSLParameters sslParameters) {
      delegate.sslParameters(sslParameters);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder executor(Executor executor) {
      delegate.executor(executor);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder followRedirects(Redirect policy) {
      delegate.followRedirects(policy);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder version(Version version) {
      delegate.version(version);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder priority(int priority) {
      delegate.priority(priority);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder proxy(ProxySelector proxySelector) {
      delegate.proxy(proxySelector);
      return this;
    }

    @Override
    public java.net.http.HttpClient.Builder authenticator(Authenticator authenticator) {
      delegate.authenticator(authenticator);
      return this;
    }
  }
}
