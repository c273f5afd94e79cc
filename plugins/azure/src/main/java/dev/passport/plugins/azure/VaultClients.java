package dev.passport.plugins.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RequestRetryCondition;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.Configuration;
import com.azure.identity.ClientAssertionCredentialBuilder;
import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.microsoft.aad.msal4j.MsalServiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Key Vault clients of each pod identity, made on first use and kept while used: one
 * {@code ClientAssertionCredential} per pod, tenant, client id and authority (its in-memory token
 * cache is what makes a republish cost no Entra exchange), and over it one secret and one key
 * client per vault (each caches the vault's access token in its bearer-challenge policy).
 *
 * <p>The pod's token reaches the identity library in memory, as the credential's assertion
 * supplier: the newest token kubelet sent for the pod, so that a rotated token is the one used at
 * the next exchange. Never a file.
 */
final class VaultClients {

  static final int MAX_IDENTITIES = 1024;
  static final Duration IDLE = Duration.ofHours(2);

  /** Who reads: a pod (by UID) as an Entra application of a tenant, at an authority host. */
  record Identity(String podUid, String tenantId, String clientId, String authorityHost) {}

  record Clients(SecretClient secrets, KeyClient keys) {}

  private static final class Entry {
    final AtomicReference<String> podToken;
    final TokenCredential credential;
    final Map<String, Clients> byVault = new LinkedHashMap<>();
    volatile Instant usedAt;

    Entry(AtomicReference<String> podToken, TokenCredential credential) {
      this.podToken = podToken;
      this.credential = credential;
    }
  }

  private final AzureConfig config;
  private final JdkHttpClient http;
  private final Clock clock;
  private final Map<Identity, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

  VaultClients(AzureConfig config, JdkHttpClient http, Clock clock) {
    this.config = config;
    this.http = http;
    this.clock = clock;
  }

  /** The clients of {@code identity} for {@code vaultUrl}; {@code podToken} is the pod's newest. */
  Clients clients(Identity identity, String podToken, String vaultUrl) {
    Entry entry;
    Instant now = clock.instant();
    synchronized (entries) {
      expire(now);
      entry = entries.computeIfAbsent(identity, this::newEntry);
      entry.usedAt = now;
      entry.podToken.set(podToken);
      Clients clients = entry.byVault.get(vaultUrl);
      if (clients == null) {
        clients = new Clients(secretClient(entry.credential, vaultUrl),
            keyClient(entry.credential, vaultUrl));
        entry.byVault.put(vaultUrl, clients);
      }
      if (entries.size() > MAX_IDENTITIES) {
        Iterator<Identity> eldest = entries.keySet().iterator();
        eldest.next();
        eldest.remove();
      }
      return clients;
    }
  }

  /** Forgets an identity whose cached access token Key Vault or Entra no longer accepts. */
  void evict(Identity identity) {
    synchronized (entries) {
      entries.remove(identity);
    }
  }

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

  private void expire(Instant now) {
    entries.values().removeIf(e -> e.usedAt.plus(IDLE).isBefore(now));
  }

  private Entry newEntry(Identity identity) {
    AtomicReference<String> token = new AtomicReference<>();
    ClientAssertionCredentialBuilder builder = new ClientAssertionCredentialBuilder()
        // first: setting a configuration resets the authority host to its AZURE_AUTHORITY_HOST
        // (login.microsoftonline.com when unset); NONE keeps the driver's environment out
        .configuration(Configuration.NONE)
        .tenantId(identity.tenantId())
        .clientId(identity.clientId())
        .authorityHost(identity.authorityHost())
        .clientAssertion(token::get)
        .httpClient(http)
        // the token requests' HTTP pipeline: maxRetry is not used by it (azure-identity then
        // takes azure-core's default, three retries); Key Vault's bounded retries instead
        .retryOptions(retries());
    if (config.authorityHost().isPresent()) {
      // the operator's authority: without this MSAL first asks login.microsoftonline.com
      // whether the authority is a known cloud, which an air-gapped node cannot reach
      builder.disableInstanceDiscovery();
    }
    return new Entry(token, builder.build());
  }

  private SecretClient secretClient(TokenCredential credential, String vaultUrl) {
    SecretClientBuilder builder = new SecretClientBuilder()
        .vaultUrl(vaultUrl)
        .credential(credential)
        .httpClient(http)
        .configuration(Configuration.NONE)
        .retryOptions(retries());
    if (config.keyVaultEndpoint().isPresent()) {
      // the SDK refuses a bearer challenge whose resource is not the vault's own domain
      // (vault.azure.net); the operator's endpoint chose another
      builder.disableChallengeResourceVerification();
    }
    return builder.buildClient();
  }

  private KeyClient keyClient(TokenCredential credential, String vaultUrl) {
    KeyClientBuilder builder = new KeyClientBuilder()
        .vaultUrl(vaultUrl)
        .credential(credential)
        .httpClient(http)
        .configuration(Configuration.NONE)
        .retryOptions(retries());
    if (config.keyVaultEndpoint().isPresent()) {
      builder.disableChallengeResourceVerification();
    }
    return builder.buildClient();
  }

  /**
   * Two retries of throttled or failed reads, within the fetch's deadline. Not of a failed token
   * exchange: azure-core retries any exception by default, and the credential (under the
   * bearer-token policy, below this retry policy) has retried Entra itself already; retrying it
   * here would multiply Entra's requests by three (AzureBackendTest pins the counts).
   */
  private static RetryOptions retries() {
    return new RetryOptions(new ExponentialBackoffOptions()
        .setMaxRetries(2)
        .setBaseDelay(Duration.ofMillis(200))
        .setMaxDelay(Duration.ofSeconds(2)))
        .setShouldRetryCondition(VaultClients::retryable);
  }

  /** azure-core's statuses (408, 429, 5xx but 501 and 505); of exceptions, I/O ones only. */
  static boolean retryable(RequestRetryCondition condition) {
    if (condition.getResponse() != null) {
      int status = condition.getResponse().getStatusCode();
      return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
    }
    for (Throwable t = condition.getThrowable(); t != null; t = t.getCause()) {
      if (t instanceof ClientAuthenticationException || t instanceof MsalServiceException) {
        return false;
      }
      if (t instanceof IOException || t instanceof UncheckedIOException
          || t instanceof TimeoutException) {
        return true;
      }
    }
    return false;
  }
}
