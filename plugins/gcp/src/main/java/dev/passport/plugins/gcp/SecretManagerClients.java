package dev.passport.plugins.gcp;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.cloud.secretmanager.v1.SecretManagerServiceSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * One {@link SecretManagerServiceClient} per endpoint (the global one, each region in use), shared
 * by every volume. The clients carry no credentials of their own: each call brings the pod's, so
 * one channel serves every pod.
 */
final class SecretManagerClients implements AutoCloseable {

  private final GoogleTransports trust;
  private final Logger log;
  private final Map<String, SecretManagerServiceClient> clients = new ConcurrentHashMap<>();
  private volatile boolean closed;

  SecretManagerClients(GoogleTransports trust, Logger log) {
    this.trust = trust;
    this.log = log;
  }

  /**
   * The client for {@code endpoint}, created on first use.
   *
   * @throws UncheckedIOException when the client cannot be created
   * @throws IllegalStateException after {@link #close()}
   */
  SecretManagerServiceClient forEndpoint(String endpoint) {
    if (closed) {
      throw new IllegalStateException("the gcp backend is closed");
    }
    return clients.computeIfAbsent(endpoint, this::create);
  }

  /** The endpoints that have a client, for tests. */
  List<String> endpoints() {
    return new ArrayList<>(clients.keySet());
  }

  private SecretManagerServiceClient create(String endpoint) {
    try {
      SecretManagerServiceSettings settings =
          SecretManagerServiceSettings.newBuilder()
              .setEndpoint(endpoint)
              .setCredentialsProvider(NoCredentialsProvider.create())
              .setTransportChannelProvider(
                  SecretManagerServiceSettings.defaultGrpcTransportProviderBuilder()
                      .setChannelConfigurator(trust.grpcChannelConfigurator())
                      .build())
              .build();
      SecretManagerServiceClient client = SecretManagerServiceClient.create(settings);
      log.info("Secret Manager client for {} created", endpoint);
      return client;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    closed = true;
    List<SecretManagerServiceClient> open = new ArrayList<>(clients.values());
    clients.clear();
    for (SecretManagerServiceClient client : open) {
      client.shutdown();
    }
    for (SecretManagerServiceClient client : open) {
      try {
        if (!client.awaitTermination(5, TimeUnit.SECONDS)) {
          client.shutdownNow();
        }
      } catch (InterruptedException e) {
        client.shutdownNow();
        Thread.currentThread().interrupt();
      }
      client.close();
    }
  }
}
