package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a backend needs to fetch one volume's material as the pod.
 *
 * @param volumeId the CSI volume id ({@code csi-<sha256>} for inline volumes)
 * @param pod the pod the volume belongs to
 * @param tokens the pod's bound tokens by audience; {@link #toString()} shows audiences only
 * @param attributes the volume attributes meant for this backend
 * @param previous the material currently in the volume, if any: certificate renewal with
 *     {@code reuse-private-key} needs the old key. After a host restart it is read back from the
 *     volume, so its {@code refreshAt}/{@code expiresAt}/{@code version} may be empty.
 * @param deadline when the host gives up on this fetch; a backend must return or throw by then
 */
public record FetchRequest(
    String volumeId,
    Pod pod,
    Map<String, ServiceAccountToken> tokens,
    Map<String, String> attributes,
    Optional<Material> previous,
    Instant deadline) {

  /** Checks presence and copies the maps. */
  public FetchRequest {
    requireNonNull(volumeId, "volumeId is null");
    requireNonNull(pod, "pod is null");
    tokens = Map.copyOf(requireNonNull(tokens, "tokens is null"));
    attributes = Map.copyOf(requireNonNull(attributes, "attributes is null"));
    requireNonNull(previous, "previous is null");
    requireNonNull(deadline, "deadline is null");
  }

  /**
   * The token for an audience.
   *
   * @throws BackendException of kind {@link BackendException.Kind#UNAUTHENTICATED} naming the
   *     audience (never a token) when kubelet sent none for it
   */
  public ServiceAccountToken token(String audience) throws BackendException {
    ServiceAccountToken token = tokens.get(requireNonNull(audience, "audience is null"));
    if (token == null) {
      throw new BackendException(
          BackendException.Kind.UNAUTHENTICATED,
          "no service account token for audience \"" + audience + "\"; add it to the CSIDriver's"
              + " spec.tokenRequests");
    }
    return token;
  }

  /** The value of an attribute, if set and not blank. */
  public Optional<String> attribute(String name) {
    String value = attributes.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
  }

  /** Shows the audiences of the tokens, never the tokens. */
  @Override
  public String toString() {
    return "FetchRequest[volumeId=" + volumeId + ", pod=" + pod + ", audiences=" + tokens.keySet()
        + ", attributes=" + attributes + ", previous=" + previous.isPresent()
        + ", deadline=" + deadline + "]";
  }
}
