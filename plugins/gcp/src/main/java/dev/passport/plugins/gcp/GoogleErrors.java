package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;
import static dev.passport.api.BackendException.Kind.NOT_FOUND;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.RESOURCE_EXHAUSTED;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.google.api.client.http.HttpResponseException;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Turns the Google libraries' failures into {@link BackendException}s whose kind tells kubelet
 * whether to retry and whose message quotes Google's own explanation. Messages never contain a
 * token: Google's error texts do not echo them, and request bodies are never quoted.
 */
final class GoogleErrors {

  // OAuthException (package-private in google-auth-library) renders RFC 6749's error response as
  // "Error code <error>: <error_description> - <error_uri>"; the HTTP status is not kept
  private static final Pattern OAUTH_MESSAGE = Pattern.compile("Error code ([^:\\s]+)(?:: (.*))?",
      Pattern.DOTALL);
  private static final String OAUTH_EXCEPTION = "com.google.auth.oauth2.OAuthException";
  // grpc-java's MessageDeframer: "gRPC message exceeds maximum size <limit>: <size>"
  private static final Pattern MESSAGE_TOO_LARGE =
      Pattern.compile("message exceeds maximum size");

  private GoogleErrors() {}

  /**
   * A failure to obtain an access token: the STS exchange of the pod token, or the IAM
   * Credentials impersonation of {@code serviceAccount}.
   */
  static BackendException auth(IOException failure, GcpVolume settings) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BoundedHttpTransport.ResponseTooLargeException) {
        return new BackendException(RESOURCE_EXHAUSTED, t.getMessage(), failure);
      }
      if (t instanceof ImpersonationAnswer.MalformedAnswerException malformed) {
        // a retry gets the same answer (and costs another generateAccessToken): not retryable
        return new BackendException(INTERNAL, "IAM Credentials could not be used to impersonate "
            + settings.serviceAccount().orElse("?") + ": " + malformed.getMessage(), failure);
      }
      if (t instanceof BoundedHttpTransport.TooManyRequestsException tooMany) {
        return rateLimited(tooMany, settings);
      }
      if (OAUTH_EXCEPTION.equals(t.getClass().getName())) {
        return sts(t, settings);
      }
      if (t instanceof HttpResponseException http) {
        return iam(http, settings);
      }
      if (isNetwork(t)) {
        return new BackendException(
            UNAVAILABLE,
            "cannot reach Google's token endpoints (STS or IAM Credentials): " + describe(t)
                + "; retrying",
            failure);
      }
    }
    return new BackendException(
        UNAVAILABLE, "could not obtain a Google access token: " + describe(failure), failure);
  }

  /**
   * An HTTP 429 from STS or IAM Credentials, seen by the transport: google-auth-library keeps the
   * status of neither an STS error nor, once read, the body of the answer.
   */
  private static BackendException rateLimited(
      BoundedHttpTransport.TooManyRequestsException tooMany, GcpVolume settings) {
    String who = tooMany.endpoint().endsWith(":generateAccessToken")
        ? "IAM Credentials refused to impersonate " + settings.serviceAccount().orElse("?")
        : "Google STS refused to exchange the pod's token";
    return new BackendException(
        RESOURCE_EXHAUSTED,
        who + " (HTTP 429): " + tooMany.googleMessage() + "; a quota or rate limit was hit,"
            + " retrying later",
        tooMany);
  }

  private static BackendException sts(Throwable oauth, GcpVolume settings) {
    Matcher m = OAUTH_MESSAGE.matcher(String.valueOf(oauth.getMessage()));
    String error = m.matches() ? m.group(1) : "unknown";
    String description = m.matches() && m.group(2) != null ? m.group(2) : "no description";
    Kind kind =
        switch (error) {
          case "access_denied", "unauthorized_client" -> PERMISSION_DENIED;
          case "server_error", "temporarily_unavailable" -> UNAVAILABLE;
          default -> UNAUTHENTICATED;
        };
    String hint =
        kind == UNAVAILABLE
            ? "retrying"
            : "check that workload identity provider "
                + settings.workloadIdentityProvider().orElse("?")
                + " trusts this cluster's service account issuer and accepts audience "
                + settings.audience().orElse("?");
    return new BackendException(
        kind,
        "Google STS refused the pod's token (" + error + "): " + description + "; " + hint,
        oauth);
  }

  private static BackendException iam(HttpResponseException http, GcpVolume settings) {
    int status = http.getStatusCode();
    Kind kind =
        switch (status) {
          case 400, 401 -> UNAUTHENTICATED;
          case 403 -> PERMISSION_DENIED;
          case 404 -> NOT_FOUND;
          case 429 -> RESOURCE_EXHAUSTED;
          default -> UNAVAILABLE;
        };
    String serviceAccount = settings.serviceAccount().orElse("?");
    String hint =
        switch (kind) {
          case PERMISSION_DENIED -> "grant the pod's principal roles/iam.workloadIdentityUser"
              + " (iam.serviceAccounts.getAccessToken) on " + serviceAccount;
          case NOT_FOUND -> "check the serviceAccount attribute";
          case UNAVAILABLE -> "retrying";
          case RESOURCE_EXHAUSTED -> "a quota or rate limit of the IAM Credentials API was hit;"
              + " retrying later";
          default -> "check the serviceAccount and delegates attributes";
        };
    return new BackendException(
        kind,
        "IAM Credentials refused to impersonate " + serviceAccount + " (HTTP " + status + "): "
            + googleMessage(http.getContent()).orElse(http.getStatusMessage()) + "; " + hint,
        http);
  }

  /** A failed AccessSecretVersion call, whose answers were limited to {@code limit} payload bytes. */
  static BackendException secretAccess(ApiException failure, ResourceName resource, long limit) {
    String message = grpcDescription(failure);
    String name = resource.name();
    if (failure.getStatusCode().getCode() == StatusCode.Code.RESOURCE_EXHAUSTED
        && MESSAGE_TOO_LARGE.matcher(message).find()) {
      // gRPC refused the answer from its length prefix: the per-call limit set from the budget
      return limit < GcpBackend.MAX_PAYLOAD
          ? new BackendException(
              RESOURCE_EXHAUSTED, name + ": " + ByteBudget.exceeded(limit).getMessage(), failure)
          : payloadTooLarge(resource);
    }
    return switch (failure.getStatusCode().getCode()) {
      case NOT_FOUND -> new BackendException(
          NOT_FOUND, name + " not found: " + message + "; check the project, secret and version",
          failure);
      case PERMISSION_DENIED -> new BackendException(
          PERMISSION_DENIED,
          name + ": permission denied: " + message + "; grant roles/secretmanager.secretAccessor"
              + " on the secret to the pod's principal (or the impersonated service account)",
          failure);
      case UNAUTHENTICATED -> new BackendException(
          UNAUTHENTICATED, name + ": unauthenticated: " + message, failure);
      case INVALID_ARGUMENT, OUT_OF_RANGE -> new BackendException(
          INVALID_ARGUMENT, name + ": invalid request: " + message, failure);
      case FAILED_PRECONDITION -> new BackendException(
          FAILED_PRECONDITION,
          name + ": " + message + " (a disabled or destroyed version cannot be read)", failure);
      case DEADLINE_EXCEEDED -> new BackendException(
          DEADLINE_EXCEEDED, name + ": Secret Manager did not answer in time: " + message,
          failure);
      case RESOURCE_EXHAUSTED -> new BackendException(
          RESOURCE_EXHAUSTED,
          name + ": Secret Manager quota or rate limit exceeded: " + message + "; retrying later",
          failure);
      case UNAVAILABLE, ABORTED, CANCELLED, UNKNOWN, INTERNAL -> new BackendException(
          UNAVAILABLE, name + ": Secret Manager unavailable: " + message, failure);
      default -> new BackendException(INTERNAL, name + ": " + message, failure);
    };
  }

  /** A payload larger than Secret Manager ever stores: not the answer of a real Secret Manager. */
  static BackendException payloadTooLarge(ResourceName resource) {
    return new BackendException(RESOURCE_EXHAUSTED, resource.name() + ": the answer is larger than"
        + " Secret Manager's payload limit of " + GcpBackend.MAX_PAYLOAD + " bytes, which no"
        + " genuine Secret Manager exceeds; check secretManagerEndpoint and"
        + " regionalEndpointTemplate in gcp.properties");
  }

  /** The server's status description, without the exception class names gax prefixes. */
  private static String grpcDescription(ApiException failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      Status status = null;
      if (t instanceof StatusRuntimeException e) {
        status = e.getStatus();
      } else if (t instanceof StatusException e) {
        status = e.getStatus();
      }
      if (status != null) {
        return status.getDescription() == null ? status.getCode().name() : status.getDescription();
      }
    }
    return Optional.ofNullable(failure.getMessage()).orElse("no message");
  }

  /** Google APIs answer {@code {"error":{"code":403,"message":"...","status":"..."}}}. */
  static Optional<String> googleMessage(String body) {
    if (body == null || body.isBlank()) {
      return Optional.empty();
    }
    try {
      JsonElement root = JsonParser.parseString(body);
      if (root.isJsonObject()) {
        JsonObject object = root.getAsJsonObject();
        JsonElement error = object.get("error");
        if (error != null && error.isJsonObject() && error.getAsJsonObject().has("message")) {
          return Optional.of(error.getAsJsonObject().get("message").getAsString());
        }
        JsonElement description = object.get("error_description");
        if (description != null && description.isJsonPrimitive()) {
          return Optional.of(description.getAsString());
        }
      }
    } catch (RuntimeException e) {
      // not JSON: fall back to the status line
    }
    return Optional.empty();
  }

  private static boolean isNetwork(Throwable t) {
    return t instanceof ConnectException
        || t instanceof UnknownHostException
        || t instanceof NoRouteToHostException
        || t instanceof SocketTimeoutException
        || t instanceof SSLException;
  }

  private static String describe(Throwable t) {
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** The most telling of several failures: a final one over one that a retry may cure. */
  static Kind worst(Iterable<BackendException> failures) {
    Kind retryable = null;
    for (BackendException failure : failures) {
      if (!failure.isRetryable()) {
        return failure.kind();
      }
      if (retryable == null || failure.kind() == DEADLINE_EXCEEDED) {
        retryable = failure.kind();
      }
    }
    return retryable == null ? INTERNAL : retryable;
  }
}
