package dev.passport.support;

import static java.util.Objects.requireNonNull;

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
 * Whom a plugin's TLS clients trust: the JDK's CAs, those plus a PEM bundle (a private CA in front
 * of a cloud endpoint, the cluster's CA), or only the bundle's. One immutable value, built once at
 * start-up, so that a bad bundle stops the plugin naming the key instead of failing every fetch.
 */
public final class TlsTrust {

  private final X509TrustManager trustManager;
  private final SSLContext sslContext;

  private TlsTrust(X509TrustManager trustManager) {
    this.trustManager = trustManager;
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {trustManager}, null);
      this.sslContext = context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no TLS", e);
    }
  }

  /** The JDK's CAs (its {@code cacerts}, or {@code javax.net.ssl.trustStore}). */
  public static TlsTrust jdk() {
    try {
      return new TlsTrust(managerFor(null));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's trust store cannot be read", e);
    }
  }

  /**
   * The JDK's CAs and, when {@code bundle} is present, its certificates too: a server either
   * trusts is trusted.
   *
   * @param setting where the operator named the bundle, for the message, e.g.
   *     {@code gcp.properties key caBundle}
   */
  public static TlsTrust jdkAnd(Optional<Path> bundle, String setting) throws BackendException {
    requireNonNull(bundle, "bundle is null");
    if (bundle.isEmpty()) {
      return jdk();
    }
    try {
      X509TrustManager jdk = managerFor(null);
      return new TlsTrust(new EitherTrustManager(jdk, managerFor(store(bundle.get()))));
    } catch (IOException | GeneralSecurityException e) {
      throw unusable(bundle.get(), setting, e);
    }
  }

  /** Only {@code bundle}'s certificates, instead of the JDK's (see {@link #jdkAnd}). */
  public static TlsTrust only(Path bundle, String setting) throws BackendException {
    requireNonNull(bundle, "bundle is null");
    try {
      return new TlsTrust(managerFor(store(bundle)));
    } catch (IOException | GeneralSecurityException e) {
      throw unusable(bundle, setting, e);
    }
  }

  /** For clients that take a trust manager (the AWS SDK's). */
  public X509TrustManager trustManager() {
    return trustManager;
  }

  /** For the JDK HTTP client, {@code HttpsURLConnection} and gRPC's OkHttp transport. */
  public SSLContext sslContext() {
    return sslContext;
  }

  private static KeyStore store(Path bundle) throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(bundle)) {
      certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (certificates.isEmpty()) {
      throw new GeneralSecurityException("no certificate in the file");
    }
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    int i = 0;
    for (Certificate certificate : certificates) {
      store.setCertificateEntry("ca-" + i++, certificate);
    }
    return store;
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

  private static BackendException unusable(Path bundle, String setting, Exception e) {
    return new BackendException(BackendException.Kind.INVALID_ARGUMENT, setting + ": cannot use "
        + bundle + " as a CA bundle: " + e.getMessage() + "; give a PEM file of CA certificates",
        e);
  }

  /** Trusts a server chain that either manager trusts; plugins never present client certificates. */
  private record EitherTrustManager(X509TrustManager first, X509TrustManager second)
      implements X509TrustManager {

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a plugin does not authenticate TLS clients");
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
