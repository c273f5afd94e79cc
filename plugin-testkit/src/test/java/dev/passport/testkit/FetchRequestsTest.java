package dev.passport.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FetchRequestsTest {

  private final FakeClock clock = FakeClock.at(Instant.parse("2026-01-01T00:00:00Z"));
  private final Pod pod = Pods.pod("shop", "web-0", "web");

  @Test
  void build_podOnly_defaultsVolumeIdNoTokensNoPreviousAndDeadlineThirtySecondsOnTheClock() {
    FetchRequest request = FetchRequests.forPod(pod).clock(clock).build();

    assertThat(request.pod()).isEqualTo(pod);
    assertThat(request.volumeId()).isEqualTo("csi-" + pod.uid());
    assertThat(request.tokens()).isEmpty();
    assertThat(request.previous()).isEmpty();
    assertThat(request.deadline()).isEqualTo(clock.instant().plusSeconds(30));
  }

  @Test
  void build_deadlineIn_countsFromTheClockWhenBuilt() {
    FetchRequests.Builder builder =
        FetchRequests.forPod(pod).clock(clock).deadlineIn(Duration.ofMillis(1500));
    clock.advance(Duration.ofMinutes(1));

    assertThat(builder.build().deadline())
        .isEqualTo(Instant.parse("2026-01-01T00:01:01.500Z"));
  }

  @Test
  void build_budget_isTheOneSetAndUnlimitedOtherwise() throws Exception {
    FetchRequest limited = FetchRequests.forPod(pod).clock(clock)
        .budget(dev.passport.api.ByteBudget.limitedTo(10)).build();

    assertThat(limited.budget().limit()).isEqualTo(10);
    assertThatThrownBy(() -> limited.budget().charge(11))
        .isInstanceOf(dev.passport.api.BackendException.class);
    assertThat(FetchRequests.forPod(pod).clock(clock).build().budget().limit())
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void build_absoluteDeadline_isKept() {
    FetchRequest request = FetchRequests.forPod(pod).clock(clock).deadline(clock.instant()).build();

    assertThat(request.deadline()).isEqualTo(clock.instant());
  }

  @Test
  void build_mintedToken_isTheMintersTokenForThePodAndAudienceFromNow() throws Exception {
    ServiceAccountTokens minter = ServiceAccountTokens.create();

    FetchRequest request = FetchRequests.forPod(pod).clock(clock)
        .mintedToken(minter, "vault", Duration.ofHours(1)).build();

    ServiceAccountToken token = request.token("vault");
    assertThat(token.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(minter.verify(token.token(), "vault", clock.instant()).podUid())
        .isEqualTo(pod.uid());
  }

  @Test
  void build_tokensMap_replacesEarlierTokensAndAMissingAudienceIsUnauthenticated() {
    ServiceAccountToken token = ServiceAccountToken.of("jwt", clock.instant().plusSeconds(60));

    FetchRequest request = FetchRequests.forPod(pod).token("old", token)
        .tokens(Map.of("sts", token)).build();

    assertThat(request.tokens()).containsOnlyKeys("sts");
    assertThatThrownBy(() -> request.token("old"))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.UNAUTHENTICATED));
  }

  @Test
  void build_previousAndVolumeId_areCarried() {
    Material previous = Material.of(List.of(MaterialFile.of("tls.key", new byte[] {1})));

    FetchRequest request = FetchRequests.forPod(pod).volumeId("csi-abc").previous(previous).build();

    assertThat(request.volumeId()).isEqualTo("csi-abc");
    assertThat(request.previous()).contains(previous);
  }
}
