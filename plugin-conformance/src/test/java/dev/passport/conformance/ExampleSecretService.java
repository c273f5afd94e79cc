package dev.passport.conformance;

import dev.passport.api.BackendException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.InvalidTokenException;

/**
 * The "remote" side of the example plugin: verifies the pod's token like a real service would and
 * can be told to fail or stall. In-process, since the suite under test is the subject here.
 */
public final class ExampleSecretService {

  private final ServiceAccountTokens tokens;
  private final Clock clock;
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile BackendException.Kind failure;
  /**
   * Far above the host's deadline: the host's timer (and its interrupt) must win even when a
   * loaded machine wakes it seconds late; a plugin that maps its own timeout wrongly (the
   * EVERY_FAILURE_IS_INTERNAL flaw) must not get to answer first. Below BackendConformance's
   * 30 s wait for the fetch to return.
   */
  private static final Duration CLIENT_SLACK = Duration.ofSeconds(20);

  private volatile Duration stall = Duration.ZERO;
  /** The service's own credential, as a Vault client token or a Google access token would be. */
  private final String accessToken = "example-session-" + java.util.UUID.randomUUID();
  private final java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();

  public ExampleSecretService(ServiceAccountTokens tokens, Clock clock) {
    this.tokens = tokens;
    this.clock = clock;
  }

  /** The credential the service hands the plugin: opaque, so only backendSecrets() can name it. */
  public String accessToken() {
    return accessToken;
  }

  public void succeed() {
    failure = null;
    stall = Duration.ZERO;
  }

  public void fail(BackendException.Kind kind) {
    failure = kind;
  }

  public void stall(Duration duration) {
    stall = duration;
  }

  /** How many reads the service answered. */
  public long served() {
    return served.get();
  }

  /** Wakes stalled calls, e.g. when the test ends. */
  public void close() {
    closed.countDown();
  }

  String read(String jwt, String audience, String key, Duration budget) throws BackendException {
    if (!stall.isZero()) {
      // Like a client whose timeout derives from FetchRequest.deadline, plus a little slack: the
      // host's own deadline then answers first, whichever thread a loaded machine wakes first.
      Duration clientTimeout = budget.plus(CLIENT_SLACK);
      Duration wait = clientTimeout.compareTo(stall) < 0 ? clientTimeout : stall;
      try {
        if (!closed.await(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS)
            && wait.equals(clientTimeout)) {
          throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED,
              "example service did not answer within " + budget.toMillis() + " ms");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED, "interrupted");
      }
    }
    try {
      tokens.verify(jwt, audience, clock.instant());
    } catch (InvalidTokenException e) {
      throw new BackendException(BackendException.Kind.UNAUTHENTICATED,
          "example service rejected the pod's token: " + e.getMessage());
    }
    BackendException.Kind kind = failure;
    if (kind != null) {
      throw new BackendException(kind, "example service failed as told (" + kind + ")");
    }
    served.incrementAndGet();
    return "value-of-" + key;
  }
}
