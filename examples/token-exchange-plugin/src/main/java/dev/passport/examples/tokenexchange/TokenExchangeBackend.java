package dev.passport.examples.tokenexchange;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.support.BoundedReads;
import dev.passport.support.Settings;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/** One token exchange per fetch; the endpoint judges the pod's token, so no state is kept here. */
final class TokenExchangeBackend implements Backend<ExchangeVolume> {

  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*");

  private final URI tokenUrl;
  private final String audience;
  private final Clock clock;
  private final HttpClient client = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  TokenExchangeBackend(URI tokenUrl, String audience, Clock clock) {
    this.tokenUrl = tokenUrl;
    this.audience = audience;
    this.clock = clock;
  }

  /** Parses the attributes once per distinct set; a typo in a pod spec must not go unnoticed. */
  @Override
  public ExchangeVolume prepare(Map<String, String> attributes) throws BackendException {
    Settings settings = Settings.attributes(attributes);
    Optional<String> scope = settings.optional("scope");
    String file = settings.string("file", "token");
    settings.rejectUnknown();
    if (!FILE_NAME.matcher(file).matches()) {
      throw settings.invalid("file", file, "write a plain file name such as token");
    }
    return new ExchangeVolume(scope, file, audience);
  }

  @Override
  public Material fetch(ExchangeVolume volume, FetchRequest request) throws BackendException {
    Instant now = clock.instant();
    Duration budget = Duration.between(now, request.deadline());
    if (budget.isNegative() || budget.isZero()) {
      throw new BackendException(Kind.DEADLINE_EXCEEDED, "no time left to call " + tokenUrl);
    }
    String form = "grant_type=urn:ietf:params:oauth:grant-type:token-exchange"
        + "&subject_token_type=urn:ietf:params:oauth:token-type:jwt"
        + "&requested_token_type=urn:ietf:params:oauth:token-type:access_token"
        + volume.scope().map(s -> "&scope=" + URLEncoder.encode(s, UTF_8)).orElse("")
        + "&subject_token=" + URLEncoder.encode(request.token(volume.audience()).token(), UTF_8);
    HttpRequest post = HttpRequest.newBuilder(tokenUrl).timeout(budget)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build();
    // HttpRequest.timeout ends when the headers arrive; waiting on the future bounds the body too.
    // The body is read through the fetch's byte budget: an answer past the volume limit ends the
    // read (and the connection) instead of filling the driver's heap.
    CompletableFuture<HttpResponse<String>> call = client.sendAsync(post,
        BoundedReads.budgeted(HttpResponse.BodyHandlers.ofString(), request.budget()));
    HttpResponse<String> response;
    try {
      response = call.get(budget.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new BackendException(Kind.DEADLINE_EXCEEDED, tokenUrl + " did not answer in time");
    } catch (ExecutionException e) {
      Optional<BackendException> tooLarge = BoundedReads.budgetFailure(e.getCause());
      if (tooLarge.isPresent()) {
        throw tooLarge.get();
      }
      throw e.getCause() instanceof HttpTimeoutException
          ? new BackendException(Kind.DEADLINE_EXCEEDED, tokenUrl + " did not answer in time")
          : new BackendException(Kind.UNAVAILABLE, "cannot reach " + tokenUrl + ": "
              + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new BackendException(Kind.DEADLINE_EXCEEDED, "gave up waiting for " + tokenUrl);
    }
    JsonNode answer = parse(response.body());
    if (response.statusCode() != 200) {
      // RFC 6749 error codes are fixed words; error_description is free text and is left out
      String error = answer.path("error").asText("").replaceAll("[^a-z_]", "");
      throw new BackendException(kindOf(response.statusCode(), error), tokenUrl + " refused to"
          + " exchange the token of " + request.pod().serviceAccountUser() + ": HTTP "
          + response.statusCode() + (error.isEmpty() ? "" : " " + error));
    }
    String accessToken = answer.path("access_token").asText("");
    long lifetime = answer.path("expires_in").asLong(0);
    if (accessToken.isEmpty() || lifetime <= 0) {
      throw new BackendException(Kind.INTERNAL, tokenUrl + " answered 200 without an"
          + " access_token and a positive expires_in");
    }
    return Material.of(List.of(MaterialFile.of(volume.file(), accessToken.getBytes(UTF_8))))
        .withRefreshAt(now.plusSeconds(lifetime * 2 / 3))
        .withExpiresAt(now.plusSeconds(lifetime));
  }

  /** RFC 8693 section 2.2.2 and RFC 6749 section 5.2, in terms of what the user must fix. */
  static Kind kindOf(int status, String error) {
    return switch (status) {
      case 400 -> switch (error) {
        case "invalid_grant", "invalid_client" -> Kind.UNAUTHENTICATED;
        case "unauthorized_client" -> Kind.PERMISSION_DENIED;
        default -> Kind.INVALID_ARGUMENT;
      };
      case 401 -> Kind.UNAUTHENTICATED;
      case 403 -> Kind.PERMISSION_DENIED;
      case 404 -> Kind.NOT_FOUND;
      case 409, 412 -> Kind.FAILED_PRECONDITION;
      case 429 -> Kind.RESOURCE_EXHAUSTED;
      case 504 -> Kind.DEADLINE_EXCEEDED;
      default -> status >= 500 ? Kind.UNAVAILABLE : Kind.INTERNAL;
    };
  }

  private JsonNode parse(String body) {
    try {
      return json.readTree(body);
    } catch (IOException e) {
      // not JSON (a proxy's error page): treated as an answer without fields
      return json.missingNode();
    }
  }

  @Override
  public void close() {
    // nothing to release: the JDK client's threads are daemons
  }
}
