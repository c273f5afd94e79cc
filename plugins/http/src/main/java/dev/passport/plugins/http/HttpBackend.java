package dev.passport.plugins.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.support.BoundedReads;
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
  /**
   * Created on first use of {@code jsonKeys} (issue 22): a node that loads the plugin but mounts no
   * such volume pays no ObjectMapper (~450 classes of Jackson databind in this plugin's loader).
   */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

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
    HttpRequest get = HttpRequest.newBuilder(volume.url().uri()).timeout(budget)
        .header("Authorization", "Bearer " + request.token(volume.audience()).token())
        .header("Accept", volume.jsonKeys().isEmpty() ? "*/*" : "application/json")
        .build();
    // the request timeout ends when the headers arrive; the future's covers a slow body too
    CompletableFuture<HttpResponse<ResponseBody>> call =
        client.sendAsync(get, bodyHandler(request.budget()));
    HttpResponse<ResponseBody> response;
    try {
      response = call.get(budget.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new BackendException(Kind.DEADLINE_EXCEEDED,
          url + " did not answer within " + budget.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw failure(url, budget, e.getCause());
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
        ? List.of(volume.file(volume.file(), response.body().drain()))
        : jsonFiles(response.body(), volume, url);
    Material material = Material.of(files);
    Optional<Duration> stale = maxAge(response).or(() -> refreshInterval);
    return stale.isPresent() ? material.withRefreshAt(now.plus(stale.get())) : material;
  }

  /**
   * A 2xx body collected through the fetch's byte budget: a {@code Content-Length} past the limit
   * is refused before a byte is read, a chunked body as soon as it passes the limit, and either
   * way the connection is dropped. Any other answer's body is not read at all.
   */
  private static HttpResponse.BodyHandler<ResponseBody> bodyHandler(ByteBudget byteBudget) {
    HttpResponse.BodyHandler<ResponseBody> collecting =
        BoundedReads.budgeted(info -> ResponseBody.collecting(), byteBudget);
    return info -> info.statusCode() / 100 == 2
        ? collecting.apply(info) : ResponseBody.abandoned();
  }

  /** Why the call failed, as the kind kubelet should see; never with the body or the token. */
  private static BackendException failure(String url, Duration budget, Throwable cause) {
    Optional<BackendException> exceeded = BoundedReads.budgetFailure(cause);
    if (exceeded.isPresent()) {
      // the volume limit, or the host's budget for material in flight, in use by other fetches;
      // no cause: the answer is the limit, not a stack of the client's internals
      return new BackendException(exceeded.get().kind(),
          "reading the answer of " + url + ": " + exceeded.get().getMessage());
    }
    if (cause instanceof HttpTimeoutException) {
      return new BackendException(Kind.DEADLINE_EXCEEDED,
          url + " did not answer within " + budget.toMillis() + " ms", cause);
    }
    return new BackendException(Kind.UNAVAILABLE, "cannot reach " + url + ": " + cause, cause);
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

  private List<MaterialFile> jsonFiles(ResponseBody body, HttpVolume volume, String url)
      throws BackendException {
    Map<String, JsonNode> values;
    try {
      values = JsonKeys.read(Json.MAPPER, body.stream(), volume.jsonKeys());
    } catch (IOException e) {
      // no cause and no parser message: both quote the body, which may be secret
      values = null;
    }
    if (values == null) {
      throw new BackendException(Kind.INVALID_ARGUMENT, url + " did not answer a JSON object;"
          + " remove volume attribute \"jsonKeys\" to write the body as it is");
    }
    List<MaterialFile> files = new ArrayList<>();
    for (String key : volume.jsonKeys()) {
      JsonNode value = values.get(key);
      if (value == null) {
        throw new BackendException(Kind.NOT_FOUND, "the JSON answer of " + url + " has no key \""
            + key + "\"; check volume attribute \"jsonKeys\"");
      }
      String text = value.isTextual() ? value.textValue() : value.toString();
      files.add(volume.file(key, text.getBytes(UTF_8)));
    }
    return files;
  }

  @Override
  public void close() {
    // the JDK 17 client has no close(); its threads are daemons and end with it
  }
}
