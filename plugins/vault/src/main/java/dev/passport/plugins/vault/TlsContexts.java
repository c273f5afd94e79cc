package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.invalid;

import dev.passport.api.BackendException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/** Builds the {@link SSLContext} for {@link TlsSettings}: CA files, client certificate, server name. */
final class TlsContexts {

  private static final char[] NO_PASSWORD = new char[0];

  private TlsContexts() {}

  static SSLContext build(TlsSettings tls) throws BackendException {
    try {
      TrustManager trust = tls.skipVerify() ? new TrustAll() : trustManager(tls);
      if (!tls.skipVerify() && tls.serverName().isPresent()) {
        trust = new ServerNameTrustManager((X509TrustManager) trust, tls.serverName().get());
      }
      KeyManager[] keys = tls.clientCertPath().isPresent()
          ? keyManagers(tls.clientCertPath().get(), tls.clientKeyPath().orElseThrow())
          : null;
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, new TrustManager[] {trust}, null);
      // vaultTLSServerName is Go's tls.Config.ServerName: the name checked and the SNI sent
      return tls.serverName().isPresent() ? ForcedSni.wrap(context, tls.serverName().get()) : context;
    } catch (GeneralSecurityException e) {
      throw invalid("cannot set up TLS to Vault: " + e.getMessage());
    }
  }

  private static X509TrustManager trustManager(TlsSettings tls)
      throws GeneralSecurityException, BackendException {
    List<Certificate> cas = new ArrayList<>();
    if (tls.caCertPath().isPresent()) {
      cas.addAll(certificates(Path.of(tls.caCertPath().get()), "vaultCACertPath"));
    } else if (tls.caDirectory().isPresent()) {
      // the file wins over the directory, as in Vault's client (go-rootcerts: CAFile, else CAPath)
      Path dir = Path.of(tls.caDirectory().get());
      try (Stream<Path> files = Files.list(dir)) {
        for (Path file : files.sorted().toList()) {
          // ConfigMap volumes hold ..data directories and symbolic links beside the PEM files
          if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.US_ASCII)
              .contains("-----BEGIN CERTIFICATE-----")) {
            cas.addAll(certificates(file, "vaultCADirectory"));
          }
        }
      } catch (IOException e) {
        throw invalid("cannot read vaultCADirectory " + dir + ": " + describe(e));
      }
    }
    KeyStore store = null;
    if (!cas.isEmpty()) {
      store = emptyKeyStore();
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    // no CA configured: the JDK's trust store, like Vault's own client
    factory.init(store);
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509TrustManager x509) {
        return x509;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager available");
  }

  private static KeyManager[] keyManagers(String certPath, String keyPath)
      throws GeneralSecurityException, BackendException {
    List<Certificate> chain = certificates(Path.of(certPath), "vaultTLSClientCertPath");
    PrivateKey key = PemKeys.privateKey(Path.of(keyPath));
    KeyStore store = emptyKeyStore();
    store.setKeyEntry("client", key, NO_PASSWORD, chain.toArray(new Certificate[0]));
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, NO_PASSWORD);
    return factory.getKeyManagers();
  }

  private static List<Certificate> certificates(Path file, String what) throws BackendException {
    try {
      byte[] pem = Files.readAllBytes(file);
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem));
      if (certs.isEmpty()) {
        throw invalid(what + " " + file + " holds no PEM certificate");
      }
      return List.copyOf(certs);
    } catch (IOException e) {
      throw invalid("cannot read " + what + " " + file + ": " + describe(e));
    } catch (CertificateException e) {
      throw invalid(what + " " + file + " is not a PEM certificate file: " + e.getMessage());
    }
  }

  private static KeyStore emptyKeyStore() throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    return store;
  }

  private static String describe(IOException e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
  }

  /**
   * Checks the chain with the delegate, then the name against {@code vaultTLSServerName} instead
   * of the address' host (Vault's {@code VAULT_TLS_SERVER_NAME}).
   */
  private static final class ServerNameTrustManager extends X509ExtendedTrustManager {
    private final X509TrustManager delegate;
    private final String serverName;

    ServerNameTrustManager(X509TrustManager delegate, String serverName) {
      this.delegate = delegate;
      this.serverName = serverName.toLowerCase(Locale.ROOT);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      // the two-argument check validates the chain without endpoint identification
      delegate.checkServerTrusted(chain, authType);
      checkName(chain[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }

    private void checkName(X509Certificate certificate) throws CertificateException {
      for (String name : subjectAltNames(certificate)) {
        if (matches(name.toLowerCase(Locale.ROOT), serverName)) {
          return;
        }
      }
      throw new CertificateException("the server certificate is not valid for vaultTLSServerName \""
          + serverName + "\"");
    }

    private static List<String> subjectAltNames(X509Certificate certificate)
        throws CertificateParsingException {
      List<String> names = new ArrayList<>();
      Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> alternative : alternatives) {
          Integer type = (Integer) alternative.get(0);
          if (type == 2 || type == 7) { // dNSName, iPAddress
            names.add(String.valueOf(alternative.get(1)));
          }
        }
      }
      return names;
    }

    private static boolean matches(String pattern, String name) {
      if (pattern.startsWith("*.")) {
        int dot = name.indexOf('.');
        return dot > 0 && name.substring(dot).equals(pattern.substring(1));
      }
      return pattern.equals(name);
    }
  }

  /** {@code vaultSkipTLSVerify}: accepts any server; only when the operator allows it. */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** Used to decide whether a cached context is stale: the files' sizes and modification times. */
  static String fingerprint(TlsSettings tls) {
    StringBuilder result = new StringBuilder();
    for (Optional<String> path : List.of(tls.caCertPath(), tls.caDirectory(), tls.clientCertPath(), tls.clientKeyPath())) {
      if (path.isEmpty()) {
        result.append("-;");
        continue;
      }
      Path p = Path.of(path.get());
      try {
        result.append(Files.getLastModifiedTime(p).toMillis()).append('/').append(Files.size(p));
        if (Files.isDirectory(p)) {
          try (Stream<Path> files = Files.list(p)) {
            for (Path file : files.sorted().toList()) {
              result.append(',').append(file.getFileName()).append('@')
                  .append(Files.getLastModifiedTime(file).toMillis());
            }
          }
        }
      } catch (IOException e) {
        result.append("missing");
      }
      result.append(';');
    }
    return result.toString();
  }
}
