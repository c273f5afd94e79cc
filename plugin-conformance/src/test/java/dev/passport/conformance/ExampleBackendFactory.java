package dev.passport.conformance;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny plugin for testing the conformance suite: it asks an {@link ExampleSecretService} for the
 * secret named by attribute {@code key}, as the pod. With a {@link Flaw} it breaks one promise the
 * suite checks, so the suite's own tests can prove it notices.
 */
public final class ExampleBackendFactory implements BackendFactory {

  /** One broken promise each; {@link #NONE} is a well-behaved plugin. */
  public enum Flaw {
    NONE,
    LOGS_TOKEN,
    TOKEN_IN_ERROR_MESSAGE,
    UNSAFE_PATH,
    RANDOM_CONTENT,
    EVERY_FAILURE_IS_INTERNAL,
    LEAKS_NON_DAEMON_THREAD,
    /** Logs the service's own access token through java.util.logging at FINE, as a chatty client library would. */
    LOGS_BACKEND_SECRET
  }

  /** Lets the leaked threads of {@link Flaw#LEAKS_NON_DAEMON_THREAD} end after the self-test. */
  static final CountDownLatch RELEASE_LEAKED_THREADS = new CountDownLatch(1);

  private final ExampleSecretService service;
  private final Flaw flaw;

  public ExampleBackendFactory(ExampleSecretService service, Flaw flaw) {
    this.service = service;
    this.flaw = flaw;
  }

  @Override
  public String name() {
    return "example";
  }

  /** The prepared volume: the secret's key and the audience its token is for. */
  record ExampleVolume(String key, Set<String> audiences) implements PreparedVolume {}

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context)
      throws BackendException {
    for (String key : config.keySet()) {
      if (!key.equals("audience")) {
        throw new BackendException(BackendException.Kind.INVALID_ARGUMENT,
            "unknown configuration key \"" + key + "\"; known: audience");
      }
    }
    String audience = config.getOrDefault("audience", "example");
    Logger log = LoggerFactory.getLogger(context.loggerName());
    if (flaw == Flaw.LEAKS_NON_DAEMON_THREAD) {
      Thread leaked = new Thread(() -> {
        try {
          RELEASE_LEAKED_THREADS.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "example-refresher");
      leaked.start();
    }
    return new Backend<ExampleVolume>() {
      @Override
      public ExampleVolume prepare(Map<String, String> attributes) throws BackendException {
        if (!attributes.containsKey("key")) {
          throw new BackendException(BackendException.Kind.INVALID_ARGUMENT,
              "volume attribute \"key\" is required");
        }
        return new ExampleVolume(attributes.get("key"), Set.of(audience));
      }

      @Override
      public Material fetch(ExampleVolume volume, FetchRequest request)
          throws BackendException {
        String token = request.token(audience).token();
        if (flaw == Flaw.LOGS_TOKEN) {
          log.debug("calling the example service with token {}", token);
        }
        if (flaw == Flaw.LOGS_BACKEND_SECRET) {
          java.util.logging.Logger.getLogger("com.example.client")
              .fine("session " + service.accessToken());
        }
        Duration budget = Duration.between(context.clock().instant(), request.deadline());
        String secret;
        try {
          secret = service.read(token, audience, volume.key(), budget);
        } catch (BackendException e) {
          throw flawed(e, token);
        }
        String path = flaw == Flaw.UNSAFE_PATH ? "../escaped" : "secret";
        String content = flaw == Flaw.RANDOM_CONTENT ? secret + UUID.randomUUID() : secret;
        return Material.of(List.of(
            MaterialFile.of(path, content.getBytes(StandardCharsets.UTF_8)),
            MaterialFile.of("meta/owner", request.pod().serviceAccountUser()
                .getBytes(StandardCharsets.UTF_8))));
      }

      @Override
      public void close() {}
    };
  }

  private BackendException flawed(BackendException e, String token) {
    return switch (flaw) {
      case TOKEN_IN_ERROR_MESSAGE ->
          new BackendException(e.kind(), e.getMessage() + " (token " + token + ")");
      case EVERY_FAILURE_IS_INTERNAL ->
          new BackendException(BackendException.Kind.INTERNAL, e.getMessage());
      default -> e;
    };
  }
}
