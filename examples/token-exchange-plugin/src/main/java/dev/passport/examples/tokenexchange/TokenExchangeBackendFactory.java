package dev.passport.examples.tokenexchange;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code token-exchange} backend: trades the pod's service-account token for an access token
 * at an OAuth 2.0 token exchange endpoint (RFC 8693) and writes it to the volume, renewed at 2/3
 * of its lifetime.
 *
 * <p>Configuration ({@code token-exchange.properties}): {@code tokenUrl} (required), {@code
 * audience} of the pod token the endpoint accepts (default {@code token-exchange}). Volume
 * attributes: {@code scope} (optional), {@code file} (default {@code token}).
 */
public final class TokenExchangeBackendFactory implements BackendFactory {

  private static final Set<String> KEYS = Set.of("tokenUrl", "audience");

  @Override
  public String name() {
    return "token-exchange";
  }

  @Override
  public Backend create(Map<String, String> config, BackendContext context)
      throws BackendException {
    Set<String> unknown = new TreeSet<>(config.keySet());
    unknown.removeAll(KEYS);
    if (!unknown.isEmpty()) {
      throw invalid("unknown keys " + unknown + "; known: " + new TreeSet<>(KEYS));
    }
    String tokenUrl = config.getOrDefault("tokenUrl", "");
    if (!tokenUrl.startsWith("https://") && !tokenUrl.startsWith("http://")) {
      throw invalid(
          "tokenUrl must be the endpoint's http(s) URL, e.g. https://sts.example.com/token");
    }
    return new TokenExchangeBackend(URI.create(tokenUrl),
        config.getOrDefault("audience", "token-exchange"), context.clock());
  }

  private static BackendException invalid(String message) {
    return new BackendException(BackendException.Kind.INVALID_ARGUMENT,
        "token-exchange.properties: " + message);
  }
}
