package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.core.ApiFunction;
import com.google.auth.http.HttpTransportFactory;
import dev.passport.api.BackendException;
import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Optional;

/**
 * Whom the plugin trusts over TLS: the JVM's CAs, or only those of the configured CA bundle
 * (private endpoints, tests). Google's libraries refuse plaintext for both token URLs and
 * credentialed gRPC channels, so this is the one knob for endpoints with their own CA.
 */
final class TlsTrust {

  private final HttpTransport httpTransport;
  private final Optional<SslContext> grpcSslContext;

  private TlsTrust(HttpTransport httpTransport, Optional<SslContext> grpcSslContext) {
    this.httpTransport =
        new BoundedHttpTransport(httpTransport, BoundedHttpTransport.RESPONSE_LIMIT);
    this.grpcSslContext = grpcSslContext;
  }

  /** Trust for {@code caBundle}, or the JVM defaults when empty. */
  static TlsTrust of(Optional<Path> caBundle) throws BackendException {
    if (caBundle.isEmpty()) {
      return new TlsTrust(new NetHttpTransport(), Optional.empty());
    }
    Path path = caBundle.get();
    try {
      KeyStore trustStore = KeyStore.getInstance(KeyStore.getDefaultType());
      trustStore.load(null, null);
      X509Certificate[] certificates = readCertificates(path);
      for (int i = 0; i < certificates.length; i++) {
        trustStore.setCertificateEntry("ca-" + i, certificates[i]);
      }
      HttpTransport transport = new NetHttpTransport.Builder().trustCertificates(trustStore).build();
      SslContext sslContext = GrpcSslContexts.forClient().trustManager(certificates).build();
      return new TlsTrust(transport, Optional.of(sslContext));
    } catch (IOException | GeneralSecurityException e) {
      throw new BackendException(
          INVALID_ARGUMENT,
          "gcp.properties key " + GcpConfig.CA_BUNDLE + ": cannot use " + path + " as a CA bundle: "
              + e.getMessage() + "; give a PEM file of CA certificates",
          e);
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

  private static X509Certificate[] readCertificates(Path path)
      throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(path)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (certificates.isEmpty()) {
      throw new GeneralSecurityException("no certificate in the file");
    }
    return certificates.stream().map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
  }
}
