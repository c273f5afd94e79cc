package dev.passport.plugins.http;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.support.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code http} backend: GETs a URL with the pod's token as {@code Authorization: Bearer} and
 * writes the answer into the volume. Many in-house secret services accept Kubernetes tokens so.
 *
 * <p>Configuration ({@code http.properties}): {@code allowedUrlPrefixes}, a comma-separated list
 * of URL prefixes volumes may name, e.g. {@code https://secrets.internal/v1/}. Without it every
 * URL is refused: a pod must not make the driver call any URL it likes in the cluster network.
 * {@code refreshInterval} (optional, e.g. {@code 1h30m}): when to fetch an answer without
 * {@code Cache-Control: max-age} again; default the host's refresh interval.
 *
 * <p>Volume attributes: {@code url} (required), {@code audience} of the token (default
 * {@code http}), either {@code file} to write the body to (default {@code body}) or {@code
 * jsonKeys: a,b} to write top-level keys of a JSON object to files {@code a} and {@code b}, and
 * {@code mode} (octal; default: the host's {@code --default-file-mode}, 0644). An answer with {@code Cache-Control: max-age=N} is
 * fetched again after N seconds, any other at the host's default refresh interval.
 */
public final class HttpBackendFactory implements BackendFactory {

  @Override
  public String name() {
    return "http";
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context)
      throws BackendException {
    Settings settings = Settings.config("http.properties", config);
    List<String> prefixes = settings.list("allowedUrlPrefixes");
    Optional<Duration> refreshInterval = settings.positiveDuration("refreshInterval");
    settings.rejectUnknown();
    return new HttpBackend(AllowedUrls.of(prefixes, settings.describe("allowedUrlPrefixes")),
        refreshInterval, context.clock());
  }
}
