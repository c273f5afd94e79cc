package dev.passport.testkit;

import static java.util.Objects.requireNonNull;

import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@link FetchRequest}s for unit tests of a backend, as the host would build them, without a host.
 *
 * <p>Only the pod is required. Defaults: volume id {@code csi-<pod uid>}, no tokens, no previous
 * material, and a deadline {@link #DEFAULT_DEADLINE} after the clock's current instant (the
 * system clock unless {@link Builder#clock} says otherwise; give it the backend's
 * {@link FakeClock}).
 *
 * <pre>{@code
 * FetchRequest request = FetchRequests.forPod(pod)
 *     .clock(clock)
 *     .mintedToken(tokens, "vault", Duration.ofHours(1))   // or .token("vault", token)
 *     .deadlineIn(Duration.ofSeconds(30))
 *     .build();
 * Material material = backend.fetch(backend.prepare(attributes), request);
 * }</pre>
 */
public final class FetchRequests {

  /** How far ahead of the clock the deadline lies when the test sets none. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  private FetchRequests() {}

  /** A builder of a request for {@code pod}'s volume. */
  public static Builder forPod(Pod pod) {
    return new Builder(requireNonNull(pod, "pod is null"));
  }

  /** Builds a {@link FetchRequest}; each setter returns the builder. */
  public static final class Builder {

    private final Pod pod;
    private final Map<String, ServiceAccountToken> tokens = new LinkedHashMap<>();
    private String volumeId;
    private Clock clock = Clock.systemUTC();
    private Optional<Material> previous = Optional.empty();
    private FetchRequest.Reason reason;
    private OptionalInt mountGroup = OptionalInt.empty();
    private Instant deadline;
    private Duration deadlineIn = DEFAULT_DEADLINE;
    private ByteBudget budget = ByteBudget.unlimited();
    private final Map<String, String> nodePublishSecrets = new LinkedHashMap<>();

    private Builder(Pod pod) {
      this.pod = pod;
      this.volumeId = "csi-" + pod.uid();
    }

    /** The CSI volume id; default {@code csi-<pod uid>}. */
    public Builder volumeId(String volumeId) {
      this.volumeId = requireNonNull(volumeId, "volumeId is null");
      return this;
    }

    /**
     * The clock that {@link #deadlineIn} and {@link #mintedToken} count from; use the one the
     * backend under test runs on.
     */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock is null");
      return this;
    }

    /** Adds (or replaces) the pod's token for {@code audience}. */
    public Builder token(String audience, ServiceAccountToken token) {
      tokens.put(requireNonNull(audience, "audience is null"),
          requireNonNull(token, "token is null"));
      return this;
    }

    /**
     * Adds a token for {@code audience} that {@code minter} mints for the pod now (on the clock),
     * valid for {@code ttl}, as kubelet would.
     */
    public Builder mintedToken(ServiceAccountTokens minter, String audience, Duration ttl) {
      requireNonNull(minter, "minter is null");
      return token(audience, minter.token(pod, audience, clock.instant(), ttl));
    }

    /** Replaces every token with these, by audience; an empty map sends none. */
    public Builder tokens(Map<String, ServiceAccountToken> byAudience) {
      requireNonNull(byAudience, "byAudience is null");
      tokens.clear();
      byAudience.forEach(this::token);
      return this;
    }

    /** The material currently in the volume (a renewal that may reuse a key). */
    public Builder previous(Material material) {
      this.previous = Optional.of(requireNonNull(material, "material is null"));
      return this;
    }

    /** The deadline, an absolute instant (e.g. {@code clock.instant()} for one already passed). */
    /**
     * Why the host fetches ({@link FetchRequest.Reason}); by default {@code DUE} with a previous
     * and {@code INITIAL} without.
     */
    public Builder reason(FetchRequest.Reason reason) {
      this.reason = requireNonNull(reason, "reason is null");
      return this;
    }

    /** The pod's {@code fsGroup}, as kubelet sends it in {@code volume_mount_group}. */
    public Builder mountGroup(int gid) {
      this.mountGroup = OptionalInt.of(gid);
      return this;
    }

    public Builder deadline(Instant deadline) {
      this.deadline = requireNonNull(deadline, "deadline is null");
      return this;
    }

    /** The deadline, {@code budget} after the clock's instant when {@link #build} runs. */
    public Builder deadlineIn(Duration budget) {
      this.deadlineIn = requireNonNull(budget, "budget is null");
      this.deadline = null;
      return this;
    }

    /**
     * What the fetch may read, e.g. {@code ByteBudget.limitedTo(1 << 20)} to prove a plugin refuses
     * an oversized answer; unlimited unless set.
     */
    public Builder budget(ByteBudget budget) {
      this.budget = requireNonNull(budget, "budget is null");
      return this;
    }

    /**
     * Adds a {@code nodePublishSecretRef} secret, as kubelet sends it in NodePublishVolume's
     * {@code secrets} ({@link FetchRequest#nodePublishSecrets()}).
     */
    public Builder nodePublishSecret(String key, String value) {
      nodePublishSecrets.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
      return this;
    }

    /** The request. */
    public FetchRequest build() {
      return FetchRequest.builder()
          .volumeId(volumeId)
          .pod(pod)
          .tokens(tokens)
          .previous(previous)
          .reason(reason != null ? reason
              : previous.isPresent() ? FetchRequest.Reason.DUE : FetchRequest.Reason.INITIAL)
          .mountGroup(mountGroup)
          .deadline(deadline != null ? deadline : clock.instant().plus(deadlineIn))
          .budget(budget)
          .nodePublishSecrets(nodePublishSecrets)
          .build();
    }
  }
}
