package dev.passport.plugins.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** GETs the volume's URL as the pod and turns the answer into files. */
final class HttpBackend implements Backend<HttpVolume> {

  private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age=(\\d{1,9})");

  private final AllowedUrls allowed;
  private final Optional<Duration> refreshInterval;
  private final Clock clock;
  // never follow redirects: the target could lie outside allowedUrlPrefixes
  private final HttpClient client =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private final ObjectMapper json = new ObjectMapper();

  HttpBackend(AllowedUrls allowed, Optional<Duration> refreshInterval, Clock clock) {
    this.allowed = allowed;
    this.refreshInterval = refreshInterval;
    this.clock = clock;
  }

  @Override
  public HttpVolume prepare(Map<String, String> attributes) throws BackendException {
    return HttpVolume.parse(attributes, allowed);
  }

  @Override
  public Material fetch(HttpVolume volume, FetchRequest request) throws BackendException {
    String url = volume.displayUrl();
    Instant now = clock.instant();
    Duration budget = Duration.between(now, request.deadline());
    if (budget.isNegative() || budget.isZero()) {
      throw new BackendException(Kind.DEADLINE_EXCEEDED, "no time left to call " + url);
    }
    HttpRequest get = HttpRequest.newBuilder(volume.url()).timeout(budget)
        .header("Authorization", "Bearer " + request.token(volume.audience()).token())
        .header("Accept", volume.jsonKeys().isEmpty() ? "*/*" : "application/json")
        .build();
    // the request timeout ends when the headers arrive; the future's covers a slow body too
    CompletableFuture<HttpResponse<byte[]>> call =
        client.sendAsync(get, HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> response;
    try {
      response = call.get(budget.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new BackendException(Kind.DEADLINE_EXCEEDED,
          url + " did not answer within " + budget.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof HttpTimeoutException
          ? new BackendException(Kind.DEADLINE_EXCEEDED,
              url + " did not answer within " + budget.toMillis() + " ms", e.getCause())
          : new BackendException(Kind.UNAVAILABLE, "cannot reach " + url + ": " + e.getCause(),
              e.getCause());
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new BackendException(Kind.DEADLINE_EXCEEDED, "gave up waiting for " + url, e);
    }
    int status = response.statusCode();
    if (status / 100 != 2) {
      throw new BackendException(kindOf(status), url + " answered HTTP " + status + " to "
          + request.pod().serviceAccountUser() + " with a token for audience \""
          + volume.audience() + "\""
          + (status / 100 == 3 ? "; redirects are not followed" : ""));
    }
    List<MaterialFile> files = volume.jsonKeys().isEmpty()
        ? List.of(MaterialFile.of(volume.file(), response.body(), volume.mode()))
        : jsonFiles(response.body(), volume, url);
    Material material = Material.of(files);
    Optional<Duration> stale = maxAge(response).or(() -> refreshInterval);
    return stale.isPresent() ? material.withRefreshAt(now.plus(stale.get())) : material;
  }

  /** {@code Cache-Control: max-age=N} with N > 0: how long the answer stays fresh. */
  private static Optional<Duration> maxAge(HttpResponse<?> response) {
    Matcher maxAge = MAX_AGE.matcher(response.headers().firstValue("Cache-Control").orElse(""));
    return maxAge.find() && Long.parseLong(maxAge.group(1)) > 0
        ? Optional.of(Duration.ofSeconds(Long.parseLong(maxAge.group(1)))) : Optional.empty();
  }

  static Kind kindOf(int status) {
    return switch (status) {
      case 400 -> Kind.INVALID_ARGUMENT;
      case 401 -> Kind.UNAUTHENTICATED;
      case 403 -> Kind.PERMISSION_DENIED;
      case 404, 410 -> Kind.NOT_FOUND;
      case 504 -> Kind.DEADLINE_EXCEEDED;
      case 408 -> Kind.UNAVAILABLE;
      case 429 -> Kind.RESOURCE_EXHAUSTED;
      default -> status >= 500 ? Kind.UNAVAILABLE : Kind.FAILED_PRECONDITION;
    };
  }

  private List<MaterialFile> jsonFiles(byte[] body, HttpVolume volume, String url)
      throws BackendException {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (IOException e) {
      // no cause and no parser message: both quote the body, which may be secret
      root = null;
    }
    if (root == null || !root.isObject()) {
      throw new BackendException(Kind.INVALID_ARGUMENT, url + " did not answer a JSON object;"
          + " remove volume attribute \"jsonKeys\" to write the body as it is");
    }
    List<MaterialFile> files = new ArrayList<>();
    for (String key : volume.jsonKeys()) {
      JsonNode value = root.get(key);
      if (value == null) {
        throw new BackendException(Kind.NOT_FOUND, "the JSON answer of " + url + " has no key \""
            + key + "\"; check volume attribute \"jsonKeys\"");
      }
      String text = value.isTextual() ? value.textValue() : value.toString();
      files.add(MaterialFile.of(key, text.getBytes(UTF_8), volume.mode()));
    }
    return files;
  }

  @Override
  public void close() {
    // the JDK 17 client has no close(); its threads are daemons and end with it
  }
}
