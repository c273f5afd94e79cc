package dev.passport.plugins.azure;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;
import static dev.passport.api.BackendException.Kind.NOT_FOUND;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.RESOURCE_EXHAUSTED;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.BackendException;
import dev.passport.support.BoundedReads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Entra's and Key Vault's failures as {@link BackendException} kinds, with messages that name the
 * object and say what to change. Entra's and Key Vault's error texts carry ids and names, never a
 * token; the identity library's own messages are not used beyond the AADSTS code and sentence.
 */
final class AzureErrors {

  private static final ObjectMapper JSON = new ObjectMapper();
  // "AADSTS700211: No matching federated identity record found for presented assertion issuer
  // 'https://...'." — the code and its first sentence
  private static final Pattern AADSTS = Pattern.compile("AADSTS\\d+:[^\\r\\n\"]*?(?:\\.(?=\\s|\"|$)|$)");
  private static final int MAX_DETAIL = 400;

  private AzureErrors() {}

  /** A failure while reading {@code object}. */
  static BackendException of(Throwable failure, KeyVaultObject object, VaultClients.Identity who) {
    String prefix = "failed to get " + object.describe() + ": ";
    Optional<BackendException> budget = BoundedReads.budgetFailure(failure);
    if (budget.isPresent()) {
      return new BackendException(budget.get().kind(), prefix + budget.get().getMessage(), failure);
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ClientAuthenticationException auth && auth.getResponse() == null
          || t instanceof com.microsoft.aad.msal4j.MsalServiceException) {
        return entra(t, who, prefix);
      }
    }
    if (failure instanceof ClientAuthenticationException auth && auth.getResponse() != null
        && auth.getResponse().getRequest() != null
        && auth.getResponse().getRequest().getUrl().getPath().contains("/oauth2/")) {
      return entra(failure, who, prefix);
    }
    if (failure instanceof HttpResponseException http && http.getResponse() != null) {
      return vault(http, prefix, who);
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof IOException || t instanceof UncheckedIOException) {
        return new BackendException(UNAVAILABLE, prefix + "cannot reach Key Vault or Entra ID: "
            + t.getMessage(), failure);
      }
    }
    if (String.valueOf(failure.getMessage()).contains("AADSTS")) {
      return entra(failure, who, prefix);
    }
    return new BackendException(INTERNAL, prefix + failure.getClass().getSimpleName() + ": "
        + clip(String.valueOf(failure.getMessage())), failure);
  }

  static BackendException deadline(KeyVaultObject object) {
    return new BackendException(DEADLINE_EXCEEDED, "failed to get " + object.describe()
        + ": Key Vault or Entra ID did not answer before the fetch deadline");
  }

  private static BackendException entra(Throwable failure, VaultClients.Identity who,
      String prefix) {
    Matcher code = AADSTS.matcher(String.valueOf(failure.getMessage()));
    String detail = code.find() ? code.group() : "the token exchange failed";
    boolean transport = detail.equals("the token exchange failed") && hasIo(failure);
    if (transport) {
      return new BackendException(UNAVAILABLE, prefix + "cannot reach Entra ID at "
          + who.authorityHost() + ": " + rootMessage(failure), failure);
    }
    // AADSTS50196/AADSTS90055/429: Entra throttles (msal4j then answers from its throttling
    // cache, MsalThrottlingException, until the Retry-After passed); 5xx: Entra is down
    Integer status = entraStatus(failure);
    if (status != null && status >= 500) {
      return new BackendException(UNAVAILABLE, prefix + "Entra ID answered " + status + ": "
          + clip(detail), failure);
    }
    if (detail.startsWith("AADSTS50196") || detail.startsWith("AADSTS90055")
        || Integer.valueOf(429).equals(status)) {
      return new BackendException(RESOURCE_EXHAUSTED, prefix + "Entra ID throttled the token"
          + " exchange: " + clip(detail), failure);
    }
    return new BackendException(UNAUTHENTICATED, prefix + "Entra ID (tenant " + who.tenantId()
        + ") did not accept the pod's service account token for audience "
        + AzureVolume.AUDIENCE + " as client assertion of client " + who.clientId() + ": "
        + clip(detail) + "; check that the identity has a federated credential for this"
        + " cluster's issuer, subject system:serviceaccount:<namespace>:<service account> and"
        + " audience " + AzureVolume.AUDIENCE + ", and that " + AzureVolume.AUDIENCE
        + " is in the CSIDriver's spec.tokenRequests", failure);
  }

  /** The HTTP status of Entra's answer, 429 for msal4j's own throttling; null if none. */
  private static Integer entraStatus(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof com.microsoft.aad.msal4j.MsalThrottlingException) {
        return 429;
      }
      if (t instanceof com.microsoft.aad.msal4j.MsalServiceException msal
          && msal.statusCode() != null && msal.statusCode() > 0) {
        return msal.statusCode();
      }
    }
    return null;
  }

  private static BackendException vault(HttpResponseException http, String prefix,
      VaultClients.Identity who) {
    int status = http.getResponse().getStatusCode();
    String detail = vaultError(http).orElse("HTTP " + status);
    return switch (status) {
      case 400 -> new BackendException(INVALID_ARGUMENT, prefix + "Key Vault refused the request: "
          + detail, http);
      case 401 -> new BackendException(UNAUTHENTICATED, prefix + "Key Vault did not accept the"
          + " access token of client " + who.clientId() + ": " + detail, http);
      case 403 -> new BackendException(PERMISSION_DENIED, prefix + detail + " (grant the identity"
          + " with client id " + who.clientId() + " the Key Vault Secrets User role, or for keys"
          + " Key Vault Crypto User, or an access policy with get" + " (and list for"
          + " objectVersionHistory))", http);
      case 404 -> new BackendException(NOT_FOUND, prefix + detail, http);
      // e.g. "Secret x is currently in a deleted but recoverable state": recover or purge it
      case 409 -> new BackendException(FAILED_PRECONDITION, prefix + detail, http);
      case 504 -> new BackendException(DEADLINE_EXCEEDED, prefix + "Key Vault timed out: "
          + detail, http);
      case 429 -> new BackendException(RESOURCE_EXHAUSTED, prefix + "Key Vault throttled the"
          + " read: " + detail, http);
      default -> status >= 500
          ? new BackendException(UNAVAILABLE, prefix + "Key Vault answered " + status + ": "
              + detail, http)
          : new BackendException(INTERNAL, prefix + "Key Vault answered " + status + ": " + detail,
              http);
    };
  }

  /** Key Vault's {@code {"error":{"code":"SecretNotFound","message":"..."}}} as "code: message". */
  static Optional<String> vaultError(HttpResponseException http) {
    try {
      byte[] body = http.getResponse().getBodyAsBinaryData().toBytes();
      JsonNode error = JSON.readTree(body).path("error");
      if (error.isObject()) {
        return Optional.of(clip(error.path("code").asText("") + ": "
            + error.path("message").asText("")));
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: the status alone
    }
    return Optional.empty();
  }

  private static boolean hasIo(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof IOException || t instanceof UncheckedIOException) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return clip(root.getClass().getSimpleName() + ": " + root.getMessage());
  }

  static String clip(String text) {
    String line = text.lines().findFirst().orElse("");
    return line.length() > MAX_DETAIL ? line.substring(0, MAX_DETAIL) + "…" : line;
  }

  /** The worst kind of several failures: the one an operator must act on first. */
  static BackendException.Kind worst(List<BackendException> failures) {
    for (BackendException.Kind kind : List.of(INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED,
        NOT_FOUND, FAILED_PRECONDITION, INTERNAL, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED)) {
      if (failures.stream().anyMatch(f -> f.kind() == kind)) {
        return kind;
      }
    }
    return UNAVAILABLE;
  }
}
