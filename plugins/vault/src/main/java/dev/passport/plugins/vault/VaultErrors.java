package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.NOT_FOUND;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.RESOURCE_EXHAUSTED;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.BackendException;
import dev.passport.support.BoundedReads;
import io.github.jopenlibs.vault.VaultException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Maps Vault's answers and vault-java-driver's {@link VaultException} to {@link BackendException}
 * kinds with messages a user can act on. Vault's own error text is quoted; tokens never are.
 */
final class VaultErrors {

  /** Created on first use (issue 22): only an error answer needs it. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }
  private static final String BODY_MARKER = "Response body: ";

  private VaultErrors() {}

  /** The {@code errors} of a Vault error body, whitespace collapsed; empty when there are none. */
  static List<String> errorsOf(byte[] body) {
    List<String> errors = new ArrayList<>();
    if (body == null || body.length == 0) {
      return errors;
    }
    try {
      JsonNode node = Json.MAPPER.readTree(body);
      for (JsonNode error : node.path("errors")) {
        String text = error.asText().replaceAll("\\s+", " ").trim();
        // Vault's multierror form: "1 error occurred: * permission denied"
        text = text.replaceFirst("^\\d+ errors? occurred: \\* ", "");
        if (!text.isEmpty()) {
          errors.add(text);
        }
      }
    } catch (IOException e) {
      // not JSON: a proxy's error page; the status code says enough
    }
    return errors;
  }

  /** The driver puts the body of a failed login into its message. */
  static List<String> errorsOf(VaultException e) {
    String message = e.getMessage();
    int at = message == null ? -1 : message.indexOf(BODY_MARKER);
    if (at < 0) {
      return List.of();
    }
    return errorsOf(message.substring(at + BODY_MARKER.length()).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A failure from an HTTP status and Vault's errors.
   *
   * @param what what was attempted, e.g. {@code reading secret/data/app from https://vault:8200}
   */
  static BackendException forStatus(int status, List<String> errors, String what) {
    String quoted = errors.isEmpty() ? "" : ": " + String.join("; ", errors);
    if (status == 401) {
      return new BackendException(UNAUTHENTICATED, "Vault did not accept the credentials for "
          + what + " (HTTP 401)" + quoted);
    }
    if (status == 403) {
      return new BackendException(PERMISSION_DENIED, "Vault denied " + what + " (HTTP " + status
          + ")" + quoted + "; check the policies of the Vault role");
    }
    if (status == 404) {
      return new BackendException(NOT_FOUND, "Vault has nothing at the path when " + what
          + " (HTTP 404)" + quoted + "; check secretPath and the secrets engine's mount");
    }
    if (status == 400 || status == 405) {
      return new BackendException(FAILED_PRECONDITION, "Vault refused " + what + " (HTTP "
          + status + ")" + quoted);
    }
    if (status == 503 && errors.stream().anyMatch(error -> error.contains("sealed"))) {
      return new BackendException(UNAVAILABLE, "Vault is sealed; " + what + " failed (HTTP 503)"
          + quoted + "; retrying when Vault is unsealed");
    }
    if (status == 429) {
      // a rate limit quota (sys/quotas/rate-limit): Vault asks to come back later
      return new BackendException(RESOURCE_EXHAUSTED, "Vault's rate limit quota was exceeded: "
          + what + " failed (HTTP 429)" + quoted + "; retrying later");
    }
    if (status == 412 || status >= 500) {
      return new BackendException(UNAVAILABLE, "Vault is unavailable: " + what + " failed (HTTP "
          + status + ")" + quoted + "; retrying");
    }
    return new BackendException(INTERNAL, "unexpected answer from Vault: " + what + " (HTTP "
        + status + ")" + quoted);
  }

  /** A failure the driver raised: an HTTP status, or a transport problem in its causes. */
  static BackendException forException(VaultException e, String what, Collection<String> secrets) {
    Optional<BackendException> refused = BoundedReads.budgetFailure(e);
    if (refused.isPresent()) {
      // the fetch's byte budget ended the read: its kind and limit, no cause (no stack trace to log)
      return new BackendException(refused.get().kind(), what + " was stopped: "
          + refused.get().getMessage());
    }
    if (e.getHttpStatusCode() > 0) {
      return scrubbed(forStatus(e.getHttpStatusCode(), errorsOf(e), what), secrets);
    }
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof HttpConnectTimeoutException) {
        return new BackendException(UNAVAILABLE, "Vault is unreachable: " + what
            + " failed, the connection timed out; retrying", e);
      }
      if (cause instanceof HttpTimeoutException) {
        return new BackendException(DEADLINE_EXCEEDED, "Vault did not answer in time: " + what
            + " ran past the deadline; retrying", e);
      }
      if (cause instanceof ConnectException) {
        return new BackendException(UNAVAILABLE, "Vault is unreachable: " + what
            + " failed, the connection was refused; retrying", e);
      }
      if (cause instanceof UnknownHostException) {
        return new BackendException(UNAVAILABLE, "Vault is unreachable: " + what
            + " failed, the host name does not resolve; check vaultAddress", e);
      }
      if (cause instanceof SSLException) {
        return new BackendException(UNAVAILABLE, "TLS with Vault failed: " + what + " failed: "
            + cause.getMessage() + "; check vaultCACertPath, vaultTLSServerName and the client"
            + " certificate", e);
      }
      if (cause instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return new BackendException(DEADLINE_EXCEEDED, what + " was interrupted", e);
      }
    }
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException) {
        return new BackendException(UNAVAILABLE, "Vault is unreachable: " + what + " failed: "
            + cause.getClass().getSimpleName() + "; retrying", e);
      }
    }
    return new BackendException(INTERNAL, "unexpected failure from the Vault client: " + what
        + " failed: " + e.getClass().getSimpleName(), e);
  }

  /** Vault does not echo tokens, but a proxy in between might: never let one into a message. */
  private static BackendException scrubbed(BackendException mapped, Collection<String> secrets) {
    String message = scrub(mapped.getMessage(), secrets);
    // the driver's message holds the raw response body, so it is not kept as the cause
    return new BackendException(mapped.kind(), message);
  }

  static String scrub(String message, Collection<String> secrets) {
    String result = message;
    for (String secret : secrets) {
      if (secret != null && !secret.isEmpty()) {
        result = result.replace(secret, "<redacted>");
      }
    }
    return result;
  }
}
