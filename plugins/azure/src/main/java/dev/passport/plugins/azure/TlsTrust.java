package dev.passport.plugins.azure;

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

/** The TLS context of the plugin's calls: the JDK's CAs, plus those of {@code caBundle}. */
final class TlsTrust {

  private TlsTrust() {}

  static SSLContext of(Optional<Path> caBundle, String file, String key) throws BackendException {
    try {
      X509TrustManager jdk = trustManager(null);
      X509TrustManager trust = jdk;
      if (caBundle.isPresent()) {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(caBundle.get())) {
          certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (certificates.isEmpty()) {
          throw new GeneralSecurityException("no certificate in the file");
        }
        int i = 0;
        for (Certificate certificate : certificates) {
          store.setCertificateEntry("ca-" + i++, certificate);
        }
        trust = either(jdk, trustManager(store));
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {trust}, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw BackendException.invalid(file + " key " + key + ": cannot use " + caBundle.orElse(null)
          + " as a CA bundle: " + e.getMessage() + "; give a PEM file of CA certificates");
    }
  }

  private static X509TrustManager trustManager(KeyStore store) throws GeneralSecurityException {
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

  /** Trusts a chain either manager trusts. */
  private static X509TrustManager either(X509TrustManager first, X509TrustManager second) {
    return new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        throw new CertificateException("the plugin does not authenticate clients");
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
    };
  }
}
