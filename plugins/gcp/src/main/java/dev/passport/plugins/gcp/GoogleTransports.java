package dev.passport.plugins.gcp;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.core.ApiFunction;
import com.google.auth.http.HttpTransportFactory;
import dev.passport.api.BackendException;
import dev.passport.support.TlsTrust;
import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The plugin's two transports, trusting the JVM's CAs, or only those of the configured CA bundle
 * (private endpoints, tests): google-http-client's for STS, IAM Credentials and metadata, and
 * gax's gRPC channels for Secret Manager. Google's libraries refuse plaintext for both token URLs
 * and credentialed gRPC channels, so the bundle is the one knob for endpoints with their own CA.
 */
final class GoogleTransports {

  private final HttpTransport httpTransport;
  private final Optional<SslContext> grpcSslContext;

  private GoogleTransports(HttpTransport httpTransport, Optional<SslContext> grpcSslContext) {
    this.httpTransport =
        new BoundedHttpTransport(httpTransport, BoundedHttpTransport.RESPONSE_LIMIT);
    this.grpcSslContext = grpcSslContext;
  }

  /** Transports trusting only {@code caBundle}, or the JVM defaults when empty. */
  static GoogleTransports of(Optional<Path> caBundle) throws BackendException {
    if (caBundle.isEmpty()) {
      return new GoogleTransports(new NetHttpTransport(), Optional.empty());
    }
    TlsTrust trust = TlsTrust.only(caBundle.get(), GcpConfig.FILE + " key " + GcpConfig.CA_BUNDLE);
    HttpTransport transport = new NetHttpTransport.Builder()
        .setSslSocketFactory(trust.sslContext().getSocketFactory()).build();
    try {
      return new GoogleTransports(transport, Optional.of(
          GrpcSslContexts.forClient().trustManager(trust.trustManager()).build()));
    } catch (SSLException e) {
      throw new IllegalStateException("netty cannot build a TLS client context", e);
    }
  }

  /**
   * The factory google-auth-library uses for STS, IAM Credentials and metadata calls: every answer
   * read through {@link BoundedHttpTransport}'s cap.
   */
  HttpTransportFactory httpTransportFactory() {
    return () -> httpTransport;
  }

  /** Applies the CA bundle, if any, to a gRPC channel that gax is building. */
  @SuppressWarnings("rawtypes") // gax's setChannelConfigurator takes the raw builder type
  ApiFunction<ManagedChannelBuilder, ManagedChannelBuilder> grpcChannelConfigurator() {
    return builder -> {
      if (grpcSslContext.isEmpty()) {
        return builder;
      }
      if (!(builder instanceof NettyChannelBuilder netty)) {
        throw new IllegalStateException(
            "expected gax to build a grpc-netty-shaded channel, got " + builder.getClass().getName());
      }
      return netty.sslContext(grpcSslContext.get());
    };
  }
}
