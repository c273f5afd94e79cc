package dev.passport.examples.tokenexchange;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.support.Settings;
import java.net.URI;
import java.util.Map;

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

  @Override
  public String name() {
    return "token-exchange";
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context)
      throws BackendException {
    Settings settings = Settings.config("token-exchange.properties", config);
    String tokenUrl = settings.required("tokenUrl",
        "the endpoint's http(s) URL, e.g. https://sts.example.com/token");
    String audience = settings.string("audience", "token-exchange");
    settings.rejectUnknown();
    if (!tokenUrl.startsWith("https://") && !tokenUrl.startsWith("http://")) {
      throw settings.invalid("tokenUrl", tokenUrl,
          "write the endpoint's http(s) URL, e.g. https://sts.example.com/token");
    }
    return new TokenExchangeBackend(URI.create(tokenUrl), audience, context.clock());
  }
}
