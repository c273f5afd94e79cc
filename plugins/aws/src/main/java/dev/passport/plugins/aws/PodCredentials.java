package dev.passport.plugins.aws;

import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.RESOURCE_EXHAUSTED;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.ServiceAccountToken;
import dev.passport.support.BoundedReads;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityResponse;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * The pod's temporary AWS credentials: IRSA (STS {@code AssumeRoleWithWebIdentity} with the pod's
 * token for {@code sts.amazonaws.com}) or EKS Pod Identity (the agent's credentials endpoint with
 * the pod's token for {@code pods.eks.amazonaws.com}). Cached per pod UID, role and token expiry,
 * and fetched again {@link #REFRESH_MARGIN} before their {@code Expiration}. Tokens travel in
 * memory only (the Java SDK's web identity provider reads a file, and refuses one ending in a
 * newline).
 */
final class PodCredentials {

  static final Duration REFRESH_MARGIN = Duration.ofMinutes(5);
  static final int MAX_ENTRIES = 1024;
  static final int MAX_AGENT_ANSWER = 16 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Key(String podUid, boolean podIdentity, String role, Instant tokenExpiry) {}

  private record Entry(AwsCredentials credentials, Instant refreshAt) {}

  private final AwsConfig config;
  private final AwsClients clients;
  private final Clock clock;
  private final Map<Key, Entry> cache = new ConcurrentHashMap<>();

  PodCredentials(AwsConfig config, AwsClients clients, Clock clock) {
    this.config = config;
    this.clients = clients;
    this.clock = clock;
  }

  AwsCredentials get(AwsVolume volume, String roleArn, FetchRequest request)
      throws BackendException {
    ServiceAccountToken token = request.token(volume.audience());
    Key key = new Key(request.pod().uid(), volume.podIdentity(), roleArn, token.expiresAt());
    Instant now = clock.instant();
    Entry cached = cache.get(key);
    if (cached != null && now.isBefore(cached.refreshAt())) {
      return cached.credentials();
    }
    AwsCredentials credentials = volume.podIdentity()
        ? podIdentity(volume, token, request)
        : assumeRole(volume, roleArn, token, request);
    Duration left = Duration.between(now, credentials.expiration());
    Duration margin = left.dividedBy(2).compareTo(REFRESH_MARGIN) < 0 ? left.dividedBy(2)
        : REFRESH_MARGIN;
    put(key, new Entry(credentials, credentials.expiration().minus(margin)), now);
    return credentials;
  }

  private void put(Key key, Entry entry, Instant now) {
    if (cache.size() >= MAX_ENTRIES) {
      for (Iterator<Entry> it = cache.values().iterator(); it.hasNext(); ) {
        if (!now.isBefore(it.next().credentials().expiration())) {
          it.remove();
        }
      }
      if (cache.size() >= MAX_ENTRIES) {
        cache.clear();
      }
    }
    cache.put(key, entry);
  }

  private AwsCredentials assumeRole(AwsVolume volume, String roleArn, ServiceAccountToken token,
      FetchRequest request) throws BackendException {
    String region = volume.region();
    java.time.Duration timeout = AwsBackend.timeout(config, clock, request);
    AssumeRoleWithWebIdentityRequest call = AssumeRoleWithWebIdentityRequest.builder()
        .roleArn(roleArn)
        .roleSessionName(sessionName(request.pod().uid()))
        .webIdentityToken(token.token())
        .overrideConfiguration(o -> o.apiCallTimeout(timeout))
        .build();
    AssumeRoleWithWebIdentityResponse answer;
    try {
      answer = BoundedHttpClient.charging(request.budget(),
          () -> clients.sts(region).assumeRoleWithWebIdentity(call));
    } catch (RuntimeException e) {
      throw AwsErrors.sts(e, roleArn, region);
    }
    Credentials c = answer.credentials();
    if (c == null || c.accessKeyId() == null || c.secretAccessKey() == null
        || c.sessionToken() == null || c.expiration() == null) {
      throw new BackendException(INTERNAL, "aws: AssumeRoleWithWebIdentity for role " + roleArn
          + " in " + region + " answered without complete credentials");
    }
    return new AwsCredentials(c.accessKeyId(), c.secretAccessKey(), c.sessionToken(),
        c.expiration());
  }

  /** A RoleSessionName ({@code [\w+=,.@-]{2,64}}) CloudTrail can tie to the pod. */
  static String sessionName(String podUid) {
    String name = "passport-" + podUid.replaceAll("[^\\w+=,.@-]", "");
    return name.length() > 64 ? name.substring(0, 64) : name;
  }

  private AwsCredentials podIdentity(AwsVolume volume, ServiceAccountToken token,
      FetchRequest request) throws BackendException {
    BackendException last = null;
    if (!volume.addressType().equals("ipv6")) {
      try {
        return agent(config.podIdentityEndpoint(), token, request);
      } catch (BackendException e) {
        last = e;
        if (volume.addressType().equals("ipv4") || !e.isRetryable()) {
          throw e;
        }
      }
    }
    try {
      return agent(config.podIdentityEndpointIpv6(), token, request);
    } catch (BackendException e) {
      throw last != null && e.kind() == UNAVAILABLE ? last : e;
    }
  }

  private AwsCredentials agent(String endpoint, ServiceAccountToken token, FetchRequest request)
      throws BackendException {
    String where = "aws: the EKS Pod Identity agent at " + endpoint;
    HttpRequest call = HttpRequest.newBuilder(URI.create(endpoint))
        .timeout(AwsBackend.timeout(config, clock, request))
        .header("Authorization", token.token())
        .header("Accept", "application/json")
        .GET()
        .build();
    HttpResponse<byte[]> answer;
    try {
      ByteBudget limit = ByteBudget.limitedTo(MAX_AGENT_ANSWER);
      answer = clients.jdkHttp().send(call, BoundedReads.budgeted(
          BoundedReads.budgeted(HttpResponse.BodyHandlers.ofByteArray(), limit),
          request.budget()));
    } catch (HttpTimeoutException e) {
      throw new BackendException(dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED,
          where + " did not answer in time");
    } catch (IOException e) {
      var budget = BoundedReads.budgetFailure(e);
      if (budget.isPresent()) {
        throw budget.get();
      }
      throw new BackendException(UNAVAILABLE, where + " cannot be reached: "
          + AwsErrors.bounded(e.getMessage()) + "; is the eks-pod-identity-agent add-on"
          + " running on this node?");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(UNAVAILABLE, where + ": interrupted");
    }
    JsonNode body;
    try {
      body = JSON.readTree(answer.body());
    } catch (IOException e) {
      body = null;
    }
    int status = answer.statusCode();
    if (status != 200) {
      String detail = body == null ? "" : ": " + AwsErrors.bounded(body.path("code").asText("")
          + " " + body.path("message").asText(""));
      String message = where + " answered HTTP " + status + detail;
      throw switch (status) {
        case 400, 401 -> new BackendException(UNAUTHENTICATED, message + "; the agent refused"
            + " the pod's token for audience " + AwsVolume.POD_IDENTITY_AUDIENCE + " (the"
            + " CSIDriver's spec.tokenRequests must include it)");
        case 403, 404 -> new BackendException(PERMISSION_DENIED, message + "; create a pod"
            + " identity association for the pod's service account");
        case 429 -> new BackendException(RESOURCE_EXHAUSTED, message);
        default -> new BackendException(UNAVAILABLE, message);
      };
    }
    if (body == null || !body.path("AccessKeyId").isTextual()
        || !body.path("SecretAccessKey").isTextual() || !body.path("Token").isTextual()
        || !body.path("Expiration").isTextual()) {
      throw new BackendException(INTERNAL, where + " answered without AccessKeyId,"
          + " SecretAccessKey, Token and Expiration");
    }
    Instant expiration;
    try {
      expiration = java.time.OffsetDateTime.parse(body.path("Expiration").asText()).toInstant();
    } catch (DateTimeParseException e) {
      throw new BackendException(INTERNAL, where + " answered an Expiration that is not RFC 3339");
    }
    return new AwsCredentials(body.path("AccessKeyId").asText(),
        body.path("SecretAccessKey").asText(), body.path("Token").asText(), expiration);
  }
}
