package dev.passport.plugins.gcp;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.core.ApiFunction;
import com.google.auth.http.HttpTransportFactory;
import dev.passport.api.BackendException;
import dev.passport.support.TlsTrust;
import io.grpc.ManagedChannelBuilder;
import io.grpc.okhttp.OkHttpChannelBuilder;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLSocketFactory;

/**
 * The plugin's two transports, trusting the JVM's CAs, or only those of the configured CA bundle
 * (private endpoints, tests): google-http-client's for STS, IAM Credentials and metadata, and
 * gax's gRPC channels for Secret Manager. Google's libraries refuse plaintext for both token URLs
 * and credentialed gRPC channels, so the bundle is the one knob for endpoints with their own CA.
 */
final class GoogleTransports {

  private final HttpTransport httpTransport;
  private final Optional<SSLSocketFactory> grpcSockets;

  private GoogleTransports(HttpTransport httpTransport, Optional<SSLSocketFactory> grpcSockets) {
    this.httpTransport =
        new BoundedHttpTransport(httpTransport, BoundedHttpTransport.RESPONSE_LIMIT);
    this.grpcSockets = grpcSockets;
  }

  /** Transports trusting only {@code caBundle}, or the JVM defaults when empty. */
  static GoogleTransports of(Optional<Path> caBundle) throws BackendException {
    if (caBundle.isEmpty()) {
      return new GoogleTransports(new NetHttpTransport(), Optional.empty());
    }
    TlsTrust trust = TlsTrust.only(caBundle.get(), GcpConfig.FILE + " key " + GcpConfig.CA_BUNDLE);
    SSLSocketFactory sockets = trust.sslContext().getSocketFactory();
    return new GoogleTransports(new NetHttpTransport.Builder().setSslSocketFactory(sockets).build(),
        Optional.of(sockets));
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
      if (grpcSockets.isEmpty()) {
        return builder;
      }
      // the plugin ships grpc-okhttp as its only transport (issue 21), so gax builds its channel
      if (!(builder instanceof OkHttpChannelBuilder okHttp)) {
        throw new IllegalStateException(
            "expected gax to build a grpc-okhttp channel, got " + builder.getClass().getName());
      }
      return okHttp.sslSocketFactory(grpcSockets.get());
    };
  }
}
