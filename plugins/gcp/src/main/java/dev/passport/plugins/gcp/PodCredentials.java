package dev.passport.plugins.gcp;

import com.google.auth.http.HttpTransportFactory;
import com.google.auth.oauth2.ExternalAccountCredentials.SubjectTokenTypes;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.IdentityPoolCredentials;
import com.google.auth.oauth2.ImpersonatedCredentials;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Google credentials per pod identity, built with google-auth-library and kept while the pod token
 * behind them is valid. The library caches the federated and impersonated access tokens inside
 * each credentials object and refreshes them shortly before they expire, so keeping the object is
 * what spares STS and IAM a call on every republish (kubelet republishes every minute or so, with
 * the same token most of the time).
 */
final class PodCredentials {

  static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";
  static final int MAX_ENTRIES = 10_000;

  /**
   * What makes two fetches share credentials. The token itself is not part of the key (keys may
   * be logged or dumped); the pod UID and the token's expiry identify it, since kubelet issues one
   * token per pod and audience at a time.
   */
  record Key(
      String podUid,
      String audience,
      Instant tokenExpiresAt,
      String workloadIdentityProvider,
      Optional<String> serviceAccount,
      List<String> delegates) {}

  private final GcpConfig config;
  private final HttpTransportFactory transportFactory;
  private final Clock clock;
  private final Map<Key, GoogleCredentials> entries = new LinkedHashMap<>(16, 0.75f, true);

  PodCredentials(GcpConfig config, HttpTransportFactory transportFactory, Clock clock) {
    this.config = config;
    this.transportFactory = transportFactory;
    this.clock = clock;
  }

  /** The credentials for a pod-adc volume: cached, or built for this token. */
  GoogleCredentials forPod(Pod pod, ServiceAccountToken token, GcpVolume settings) {
    Key key =
        new Key(
            pod.uid(),
            settings.audience().orElseThrow(),
            token.expiresAt(),
            settings.workloadIdentityProvider().orElseThrow(),
            settings.serviceAccount(),
            settings.delegates());
    synchronized (entries) {
      evictExpired();
      GoogleCredentials credentials = entries.get(key);
      if (credentials == null) {
        credentials = build(token.token(), settings);
        entries.put(key, credentials);
        if (entries.size() > MAX_ENTRIES) {
          Iterator<Key> eldest = entries.keySet().iterator();
          eldest.next();
          eldest.remove();
        }
      }
      return credentials;
    }
  }

  /** Forgets {@code credentials}, so that the next fetch for its identity starts afresh. */
  void evict(GoogleCredentials credentials) {
    synchronized (entries) {
      entries.values().removeIf(cached -> cached == credentials);
    }
  }

  /** How many identities are cached, for tests. */
  int size() {
    synchronized (entries) {
      return entries.size();
    }
  }

  void clear() {
    synchronized (entries) {
      entries.clear();
    }
  }

  private void evictExpired() {
    Instant now = clock.instant();
    entries.keySet().removeIf(key -> !key.tokenExpiresAt().isAfter(now));
  }

  private GoogleCredentials build(String subjectToken, GcpVolume settings) {
    // the supplier hands the library the pod's token; the library never sees it any other way
    IdentityPoolCredentials federated =
        IdentityPoolCredentials.newBuilder()
            .setSubjectTokenSupplier(context -> subjectToken)
            .setSubjectTokenType(SubjectTokenTypes.JWT)
            .setAudience(settings.workloadIdentityProvider().orElseThrow())
            .setTokenUrl(config.stsTokenUrl())
            .setScopes(List.of(CLOUD_PLATFORM))
            .setHttpTransportFactory(transportFactory)
            .build();
    if (settings.serviceAccount().isEmpty()) {
      return federated;
    }
    String serviceAccount = settings.serviceAccount().get();
    // ImpersonatedCredentials is what the library builds from service_account_impersonation_url;
    // built here directly because only it carries delegates
    return ImpersonatedCredentials.newBuilder()
        .setSourceCredentials(federated)
        .setTargetPrincipal(serviceAccount)
        .setDelegates(settings.delegates())
        .setScopes(List.of(CLOUD_PLATFORM))
        .setLifetime((int) config.impersonationLifetime().toSeconds())
        .setIamEndpointOverride(config.generateAccessTokenUrl(serviceAccount))
        .setHttpTransportFactory(transportFactory)
        .build();
  }
}
