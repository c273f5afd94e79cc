package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a backend needs, besides its {@link PreparedVolume}, to fetch one volume's material
 * as the pod. Built by the host ({@link #builder()}; the testkit has a builder for tests).
 */
public final class FetchRequest {

  private final String volumeId;
  private final Pod pod;
  private final Map<String, ServiceAccountToken> tokens;
  private final Optional<Material> previous;
  private final Instant deadline;
  private final ByteBudget budget;

  private FetchRequest(Builder b) {
    this.volumeId = requireNonNull(b.volumeId, "volumeId is null");
    this.pod = requireNonNull(b.pod, "pod is null");
    this.tokens = Map.copyOf(requireNonNull(b.tokens, "tokens is null"));
    this.previous = requireNonNull(b.previous, "previous is null");
    this.deadline = requireNonNull(b.deadline, "deadline is null");
    this.budget = requireNonNull(b.budget, "budget is null");
  }

  /** A builder; volume id, pod and deadline are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The CSI volume id ({@code csi-<sha256>} for inline volumes). */
  public String volumeId() {
    return volumeId;
  }

  /** The pod the volume belongs to. */
  public Pod pod() {
    return pod;
  }

  /** The pod's bound tokens by audience; {@link #toString()} shows audiences only. */
  public Map<String, ServiceAccountToken> tokens() {
    return tokens;
  }

  /**
   * The material currently in the volume, if any: certificate renewal with
   * {@code reuse-private-key} needs the old key. After a host restart it is read back from the
   * volume, so its {@code refreshAt}/{@code expiresAt}/{@code version} may be empty. A token
   * rotation alone is a chance to reuse it, not an obligation to re-issue.
   */
  @Experimental("the volume-semantics work may add why the host fetches")
  public Optional<Material> previous() {
    return previous;
  }

  /** When the host gives up on this fetch; a backend must return or throw by then. */
  public Instant deadline() {
    return deadline;
  }

  /**
   * What this fetch may read from its backend: charge every byte read off the wire as it arrives
   * (see {@link ByteBudget}). Without one from the host it is {@link ByteBudget#unlimited()}.
   */
  public ByteBudget budget() {
    return budget;
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

  /** Shows the audiences of the tokens, never the tokens. */
  @Override
  public String toString() {
    return "FetchRequest[volumeId=" + volumeId + ", pod=" + pod + ", audiences=" + tokens.keySet()
        + ", previous=" + previous.isPresent() + ", deadline=" + deadline + "]";
  }

  /** Builds a {@link FetchRequest}. */
  public static final class Builder {
    private String volumeId;
    private Pod pod;
    private Map<String, ServiceAccountToken> tokens = Map.of();
    private Optional<Material> previous = Optional.empty();
    private Instant deadline;
    private ByteBudget budget = ByteBudget.unlimited();

    private Builder() {}

    public Builder volumeId(String volumeId) {
      this.volumeId = volumeId;
      return this;
    }

    public Builder pod(Pod pod) {
      this.pod = pod;
      return this;
    }

    public Builder tokens(Map<String, ServiceAccountToken> tokens) {
      this.tokens = tokens;
      return this;
    }

    public Builder previous(Optional<Material> previous) {
      this.previous = previous;
      return this;
    }

    public Builder deadline(Instant deadline) {
      this.deadline = deadline;
      return this;
    }

    public Builder budget(ByteBudget budget) {
      this.budget = budget;
      return this;
    }

    public FetchRequest build() {
      return new FetchRequest(this);
    }
  }
}
