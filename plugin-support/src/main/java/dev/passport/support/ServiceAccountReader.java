package dev.passport.support;

import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;
import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The annotations a plugin needs from a pod's Kubernetes ServiceAccount: one
 * {@code GET /api/v1/namespaces/{ns}/serviceaccounts/{name}} as the driver ({@link
 * KubernetesAccess}), cached per service account for the access's TTL, so that kubelet's
 * republishes cost the API server nothing.
 *
 * <p>Everything read is hostile (whoever may annotate ServiceAccounts in the pod's namespace
 * writes it): the answer is capped at {@link #MAX_ANSWER} bytes, only the plugin's annotations
 * are kept, each at most {@link #MAX_VALUE} characters, in at most {@link #MAX_ENTRIES} entries
 * (the least recently used is dropped). The driver's token is sent, never put in a message.
 */
public final class ServiceAccountReader {

  /** A ServiceAccount's annotations may hold 256 KiB; the rest of it is small. */
  public static final long MAX_ANSWER = 512 * 1024;
  public static final int MAX_ENTRIES = 10_000;
  /** An IAM role ARN has at most 2048 characters; emails, GUIDs and short JSON lists fit. */
  public static final int MAX_VALUE = 2048;
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  // RFC 1123 label (namespace) and subdomain (service account): one path segment each
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  private record Key(String namespace, String name) {}

  private record Entry(Map<String, String> annotations, Instant readAt) {}

  private final KubernetesAccess access;
  private final Set<String> wanted;
  private final String grant;
  private final Clock clock;
  private final int maxEntries;
  private final Map<Key, Entry> cache = new LinkedHashMap<>(16, 0.75f, true);
  private HttpClient http;

  /**
   * @param wanted the annotations to keep, e.g. {@code eks.amazonaws.com/role-arn}
   * @param grant what the operator does when the driver may not read service accounts, e.g.
   *     {@code install the chart with x.enabled=true, which grants get on serviceaccounts}
   */
  public ServiceAccountReader(KubernetesAccess access, Set<String> wanted, String grant,
      Clock clock) {
    this(access, wanted, grant, clock, MAX_ENTRIES);
  }

  /** With a smaller cache, for tests. */
  ServiceAccountReader(KubernetesAccess access, Set<String> wanted, String grant, Clock clock,
      int maxEntries) {
    this.maxEntries = maxEntries;
    this.access = requireNonNull(access, "access is null");
    this.wanted = Set.copyOf(requireNonNull(wanted, "wanted is null"));
    this.grant = requireNonNull(grant, "grant is null");
    this.clock = requireNonNull(clock, "clock is null");
  }

  /**
   * The wanted annotations of service account {@code namespace/name} (those it has), or empty
   * when it does not exist: cached, or read now within {@code timeout}.
   */
  public Optional<Map<String, String>> annotations(String namespace, String name,
      Duration timeout) throws BackendException {
    requireNonNull(namespace, "namespace is null");
    requireNonNull(name, "name is null");
    requireNonNull(timeout, "timeout is null");
    if (!NAMESPACE.matcher(namespace).matches() || !NAME.matcher(name).matches()) {
      throw new BackendException(INVALID_ARGUMENT, "the pod's namespace or service account name"
          + " from kubelet is not a Kubernetes name");
    }
    Key key = new Key(namespace, name);
    Instant now = clock.instant();
    synchronized (cache) {
      Entry cached = cache.get(key);
      if (cached != null && now.isBefore(cached.readAt().plus(access.cacheTtl()))) {
        return Optional.of(cached.annotations());
      }
    }
    Optional<Map<String, String>> read = read(key, timeout);
    // an absent account is not cached: it is an error for most plugins, and it may be created
    read.ifPresent(annotations -> {
      synchronized (cache) {
        cache.put(key, new Entry(annotations, now));
        if (cache.size() > maxEntries) {
          cache.remove(cache.keySet().iterator().next());
        }
      }
    });
    return read;
  }

  /** How many service accounts are cached, for tests. */
  int size() {
    synchronized (cache) {
      return cache.size();
    }
  }

  private Optional<Map<String, String>> read(Key key, Duration timeout)
      throws BackendException {
    String who = "service account " + key.namespace() + "/" + key.name();
    String token = driverToken(who);
    String base = access.apiServer().toString().replaceAll("/+$", "");
    URI uri = URI.create(base + "/api/v1/namespaces/" + key.namespace() + "/serviceaccounts/"
        + key.name());
    HttpResponse<byte[]> response;
    try {
      response = client().send(HttpRequest.newBuilder(uri).timeout(timeout)
              .header("Authorization", "Bearer " + token).header("Accept", "application/json")
              .GET().build(),
          BoundedReads.budgeted(HttpResponse.BodyHandlers.ofByteArray(),
              ByteBudget.limitedTo(MAX_ANSWER)));
    } catch (HttpTimeoutException e) {
      throw new BackendException(UNAVAILABLE, "the Kubernetes API server did not answer within "
          + Durations.formatGo(timeout) + " reading " + who + "; retrying");
    } catch (IOException e) {
      Optional<BackendException> tooLarge = BoundedReads.budgetFailure(e);
      if (tooLarge.isPresent()) {
        throw new BackendException(tooLarge.get().kind(), "the Kubernetes API server's answer for "
            + who + " is larger than " + MAX_ANSWER + " bytes");
      }
      throw new BackendException(UNAVAILABLE, "cannot read " + who + " from the Kubernetes API"
          + " server " + base + ": " + describe(e) + "; retrying");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(UNAVAILABLE, "interrupted while reading " + who);
    }
    return switch (response.statusCode()) {
      case 200 -> Optional.of(wantedAnnotations(response.body(), who));
      case 404 -> Optional.empty();
      case 401 -> throw new BackendException(UNAUTHENTICATED, "the Kubernetes API server did not"
          + " accept the driver's own token (" + KubernetesAccess.KUBERNETES_TOKEN_FILE + " "
          + access.tokenFile() + ") reading " + who + " (HTTP 401): mount the driver's projected"
          + " service account token there");
      case 403 -> throw new BackendException(PERMISSION_DENIED, "the driver may not get " + who
          + " (HTTP 403), needed for its " + String.join(", ", wanted.stream().sorted().toList())
          + " annotation (" + KubernetesAccess.SERVICE_ACCOUNT_ANNOTATIONS + "=true): " + grant);
      default -> throw new BackendException(UNAVAILABLE, "the Kubernetes API server answered"
          + " HTTP " + response.statusCode() + " reading " + who + "; retrying");
    };
  }

  private Map<String, String> wantedAnnotations(byte[] body, String who)
      throws BackendException {
    Object annotations;
    try {
      Object account = Json.parse(new String(body, StandardCharsets.UTF_8));
      annotations = member(member(account, "metadata"), "annotations");
    } catch (Json.MalformedException e) {
      throw new BackendException(UNAVAILABLE, "the Kubernetes API server's answer for " + who
          + " is not JSON: " + e.getMessage());
    }
    Map<String, String> kept = new LinkedHashMap<>();
    if (annotations instanceof Map<?, ?> all) {
      for (String name : wanted) {
        if (all.get(name) instanceof String value) {
          if (value.length() > MAX_VALUE) {
            throw new BackendException(INVALID_ARGUMENT, "annotation " + name + " of " + who
                + " is longer than " + MAX_VALUE + " characters");
          }
          kept.put(name, value);
        }
      }
    }
    return Map.copyOf(kept);
  }

  private static Object member(Object object, String name) {
    return object instanceof Map<?, ?> map ? map.get(name) : null;
  }

  private String driverToken(String who) throws BackendException {
    try {
      return Files.readString(access.tokenFile(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      // kubelet may not have mounted it yet; a retry may find it
      throw new BackendException(UNAVAILABLE, "cannot read the driver's token "
          + access.tokenFile() + " (" + KubernetesAccess.KUBERNETES_TOKEN_FILE + ") to read "
          + who + ": " + describe(e));
    }
  }

  /** An I/O failure for a message: its type and the JDK's text, which names no token. */
  private static String describe(IOException e) {
    String text = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    return text.length() > 300 ? text.substring(0, 300) + "…" : text;
  }

  private synchronized HttpClient client() {
    // made on first use: a plugin no volume uses starts no selector thread (issue 22)
    if (http == null) {
      http = HttpClient.newBuilder()
          .connectTimeout(CONNECT_TIMEOUT)
          // the API server speaks HTTP/1.1 too; no h2c upgrade on plain http
          .version(HttpClient.Version.HTTP_1_1)
          .followRedirects(HttpClient.Redirect.NEVER)
          .sslContext(access.trust().sslContext())
          .build();
    }
    return http;
  }
}
