package dev.passport.host.publish;

import dev.passport.host.logging.SeenTokens;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The volume's {@code nodePublishSecretRef} secrets, as kubelet sends them in NodePublishVolume's
 * {@code secrets} field without its own tokens entry (issue 19). Handed to the backend
 * ({@code FetchRequest.nodePublishSecrets()}); never logged ({@link #toString()} shows the keys'
 * number only, and the values are masked by the log sink), never stored in the state dir.
 *
 * <p>Bounded: at most {@value #MAX_KEYS} keys and {@value #MAX_BYTES} bytes of keys and values
 * (kubelet reads them from a Secret, at most 1 MiB; the providers that use them need a client id
 * and secret).
 */
final class NodePublishSecrets {

  static final int MAX_KEYS = 64;
  static final int MAX_BYTES = 64 * 1024;
  /** How long the log sink keeps masking a value after the last publish that carried it. */
  private static final Duration MASKED_FOR = Duration.ofHours(1);

  private static final NodePublishSecrets NONE = new NodePublishSecrets(Map.of());

  private final Map<String, String> values;

  private NodePublishSecrets(Map<String, String> values) {
    this.values = values;
  }

  static NodePublishSecrets none() {
    return NONE;
  }

  /** The {@code secrets} field minus kubelet's tokens entry. */
  static NodePublishSecrets of(Map<String, String> secrets) throws PublishException {
    Map<String, String> kept = new TreeMap<>();
    long bytes = 0;
    for (Map.Entry<String, String> e : secrets.entrySet()) {
      if (e.getKey().equals(KubeletKeys.TOKENS)) {
        continue;
      }
      kept.put(e.getKey(), e.getValue());
      bytes += e.getKey().getBytes(StandardCharsets.UTF_8).length
          + e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (kept.size() > MAX_KEYS || bytes > MAX_BYTES) {
      throw PublishException.invalid("the volume's nodePublishSecretRef Secret holds " + kept.size()
          + " keys and " + bytes + " bytes; at most " + MAX_KEYS + " keys and " + MAX_BYTES
          + " bytes are passed to a backend: give the volume a Secret with only the keys its"
          + " backend reads");
    }
    if (kept.isEmpty()) {
      return NONE;
    }
    Instant until = Instant.now().plus(MASKED_FOR);
    kept.values().forEach(v -> SeenTokens.global().remember(v, until));
    return new NodePublishSecrets(Map.copyOf(kept));
  }

  Map<String, String> values() {
    return values;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodePublishSecrets other && values.equals(other.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return "NodePublishSecrets[" + values.size() + " redacted]";
  }
}
