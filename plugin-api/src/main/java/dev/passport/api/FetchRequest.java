package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything a backend needs, besides its {@link PreparedVolume}, to fetch one volume's material
 * as the pod. Built by the host ({@link #builder()}; the testkit has a builder for tests).
 */
public final class FetchRequest {

  private final String volumeId;
  private final Pod pod;
  private final Map<String, ServiceAccountToken> tokens;
  private final Optional<Material> previous;
  private final Reason reason;
  private final OptionalInt mountGroup;
  private final Instant deadline;
  private final ByteBudget budget;
  private final Map<String, String> nodePublishSecrets;

  /**
   * Why the host calls {@link Backend#fetch}. What a backend should do with {@link #previous()}:
   *
   * <ul>
   *   <li>Material bound to the token's freshness (a KV read, a secret version, anything whose
   *       backend re-checks the pod's permission on each read and costs nothing to read again) may
   *       simply be read again, whatever the reason.
   *   <li>Material with a lifetime of its own (certificates, leases, dynamic credentials: anything
   *       whose fetch issues something) is returned unchanged, {@code previous} as is, for
   *       {@link #TOKENS_ROTATED}, so that a token rotation (about every 48 minutes with kubelet's
   *       default {@code expirationSeconds: 3600}) never issues anything. It is issued again only
   *       when {@link #DUE}, {@link #CHANGED} or {@link #INITIAL}.
   * </ul>
   *
   * <p>Since plugin API 1.2.
   */
  public enum Reason {
    /** Nothing of the volume's material is known: a first publish, or its content was lost. */
    INITIAL,
    /**
     * The material is due: its refresh instant came (or is before the next republish), an
     * earlier refresh failed, or the volume lost its content and nothing is cached.
     */
    DUE,
    /**
     * Only the pod's tokens changed since {@code previous} was fetched (kubelet rotated them), and
     * it is not due: return {@code previous} unchanged unless the material is bound to the token.
     * The host asks rather than reusing it silently, so material obtained with a token is never
     * kept past that token without the backend's say.
     */
    TOKENS_ROTATED,
    /** The volume's attributes (or its pod) changed since {@code previous} was fetched. */
    CHANGED,
    /**
     * The host knows nothing of the volume but what it holds ({@code previous} was read back from
     * it: a restart with the driver's state lost): whether it is due is the backend's call, from
     * the material itself (a certificate's {@code notAfter}); when unsure, fetch.
     */
    RECOVERED
  }

  private FetchRequest(Builder b) {
    this.volumeId = requireNonNull(b.volumeId, "volumeId is null");
    this.pod = requireNonNull(b.pod, "pod is null");
    this.tokens = Map.copyOf(requireNonNull(b.tokens, "tokens is null"));
    this.previous = requireNonNull(b.previous, "previous is null");
    this.reason = b.reason != null ? b.reason : previous.isPresent() ? Reason.DUE : Reason.INITIAL;
    if (reason != Reason.INITIAL && previous.isEmpty()) {
      throw new IllegalArgumentException("a fetch for reason " + reason + " needs the previous material");
    }
    this.mountGroup = requireNonNull(b.mountGroup, "mountGroup is null");
    this.deadline = requireNonNull(b.deadline, "deadline is null");
    this.budget = requireNonNull(b.budget, "budget is null");
    this.nodePublishSecrets = Map.copyOf(requireNonNull(b.nodePublishSecrets,
        "nodePublishSecrets is null"));
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
   * {@code reuse-private-key} needs the old key, and a token rotation is answered with it (see
   * {@link Reason}). Its files carry the modes the host wrote. After a host restart it is read back
   * from the volume: its {@code refreshAt} is then when the host planned to refresh it, its
   * {@code expiresAt}/{@code version} may be empty, and with {@link Reason#RECOVERED} all three are.
   */
  public Optional<Material> previous() {
    return previous;
  }

  /** Why the host fetches: what to do with {@link #previous()} depends on it. */
  public Reason reason() {
    return reason;
  }

  /**
   * The pod's {@code fsGroup} as kubelet sent it ({@code volume_mount_group}), if any: the group
   * the host gives the volume's files unless the material asks for another
   * ({@link Material#withGroup}). A backend that follows csi-lib's rules reads it to choose its
   * files' modes (group-readable {@code 0440} when some group applies).
   */
  public OptionalInt mountGroup() {
    return mountGroup;
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
   * The secrets kubelet read from the volume's {@code nodePublishSecretRef} (a Secret in the pod's
   * namespace) and sent in NodePublishVolume's {@code secrets} field, key → value; empty when the
   * volume names none. Kubelet's own tokens entry is not among them (see {@link #tokens()}).
   * Providers of secrets-store-csi-driver that authenticate with such a Secret (a client id and
   * secret) read them here. They are credentials: never log them, never put them in a message or
   * in material; the host neither logs nor stores them, and {@link #toString()} shows their
   * number only.
   *
   * <p>Since plugin API 1.2 (additive: empty for requests built without it).
   */
  public Map<String, String> nodePublishSecrets() {
    return nodePublishSecrets;
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
        + ", previous=" + previous.isPresent() + ", reason=" + reason + ", deadline=" + deadline
        + (nodePublishSecrets.isEmpty() ? "" : ", nodePublishSecrets=" + nodePublishSecrets.size()
            + " redacted")
        + "]";
  }

  /** Builds a {@link FetchRequest}. */
  public static final class Builder {
    private String volumeId;
    private Pod pod;
    private Map<String, ServiceAccountToken> tokens = Map.of();
    private Optional<Material> previous = Optional.empty();
    private Reason reason;
    private OptionalInt mountGroup = OptionalInt.empty();
    private Instant deadline;
    private ByteBudget budget = ByteBudget.unlimited();
    private Map<String, String> nodePublishSecrets = Map.of();

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

    /** Why the host fetches; by default {@link Reason#DUE} with a previous, else {@link Reason#INITIAL}. */
    public Builder reason(Reason reason) {
      this.reason = requireNonNull(reason, "reason is null");
      return this;
    }

    /** The pod's {@code fsGroup} (kubelet's {@code volume_mount_group}); none by default. */
    public Builder mountGroup(OptionalInt mountGroup) {
      this.mountGroup = requireNonNull(mountGroup, "mountGroup is null");
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

    /** The volume's {@code nodePublishSecretRef} secrets (see {@link FetchRequest#nodePublishSecrets()}); none by default. */
    public Builder nodePublishSecrets(Map<String, String> secrets) {
      this.nodePublishSecrets = requireNonNull(secrets, "secrets is null");
      return this;
    }

    public FetchRequest build() {
      return new FetchRequest(this);
    }
  }
}
