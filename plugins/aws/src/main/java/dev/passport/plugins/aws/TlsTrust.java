package dev.passport.plugins.aws;

import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;

import dev.passport.api.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The certificates AWS endpoints are checked against: the JDK's, plus {@code caBundle}'s when set
 * (a VPC endpoint or FIPS proxy with a private CA, a test server).
 */
final class TlsTrust {

  private final X509TrustManager trustManager;

  private TlsTrust(X509TrustManager trustManager) {
    this.trustManager = trustManager;
  }

  static TlsTrust of(Optional<Path> caBundle) throws BackendException {
    try {
      X509TrustManager jdk = managerFor(null);
      if (caBundle.isEmpty()) {
        return new TlsTrust(jdk);
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate certificate : read(caBundle.get())) {
        store.setCertificateEntry("ca-" + i++, certificate);
      }
      return new TlsTrust(new EitherTrustManager(jdk, managerFor(store)));
    } catch (IOException | GeneralSecurityException e) {
      throw new BackendException(INVALID_ARGUMENT, AwsConfig.FILE + " key " + AwsConfig.CA_BUNDLE
          + ": cannot use " + caBundle.orElse(null) + " as a CA bundle: " + e.getMessage()
          + "; give a PEM file of CA certificates", e);
    }
  }

  X509TrustManager trustManager() {
    return trustManager;
  }

  SSLContext sslContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {trustManager}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JDK", e);
    }
  }

  private static X509TrustManager managerFor(KeyStore store) throws GeneralSecurityException {
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509TrustManager x509) {
        return x509;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  private static Collection<? extends Certificate> read(Path path)
      throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(path)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (certificates.isEmpty()) {
      throw new GeneralSecurityException("no certificate in the file");
    }
    return certificates;
  }

  /** Trusts a server chain that either manager trusts. */
  private record EitherTrustManager(X509TrustManager first, X509TrustManager second)
      implements X509TrustManager {

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("client certificates are not checked here");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      try {
        first.checkServerTrusted(chain, authType);
      } catch (CertificateException e) {
        second.checkServerTrusted(chain, authType);
      }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      List<X509Certificate> all = new ArrayList<>(List.of(first.getAcceptedIssuers()));
      all.addAll(List.of(second.getAcceptedIssuers()));
      return all.toArray(X509Certificate[]::new);
    }
  }
}
