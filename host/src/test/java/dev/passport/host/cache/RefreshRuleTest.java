package dev.passport.host.cache;

import static dev.passport.host.cache.RefreshDecision.BACK_OFF;
import static dev.passport.host.cache.RefreshDecision.FETCH;
import static dev.passport.host.cache.RefreshDecision.RESTORE;
import static dev.passport.host.cache.RefreshDecision.SERVE;
import static dev.passport.host.cache.RefreshDecision.VERIFY;
import static dev.passport.host.cache.VolumeContent.ABSENT;
import static dev.passport.host.cache.VolumeContent.DAMAGED;
import static dev.passport.host.cache.VolumeContent.INTACT;
import static dev.passport.host.cache.VolumeContent.PRESENT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The refresh rule as a table: no socket, no files, exact instants. */
class RefreshRuleTest {

  private static final Instant FETCHED = Instant.parse("2026-11-26T10:00:00Z");
  private static final Instant REFRESH_AT = FETCHED.plus(Duration.ofMinutes(5));
  private static final CacheKey KEY = new CacheKey("vol-1", "uid-1", "vault", "attrs",
      "vault=2026-11-26T11:00:00Z");
  private static final CacheKey ROTATED = new CacheKey("vol-1", "uid-1", "vault", "attrs",
      "vault=2026-11-26T11:48:00Z");

  private static final VolumeState FRESH = state(0, null);
  private static final VolumeState BACKING_OFF = state(2, REFRESH_AT.plusSeconds(60));

  static Stream<Arguments> table() {
    Instant notDue = REFRESH_AT.minusSeconds(1);
    Instant due = REFRESH_AT;
    Instant inBackoff = REFRESH_AT.plusSeconds(30);
    Instant backoffOver = REFRESH_AT.plusSeconds(60);
    return Stream.of(
        // name, state, key, now, content, cached, decision
        row("publish_newVolume_fetches", null, KEY, notDue, ABSENT, false, FETCH),
        row("republish_tokenUnchangedAndNotDue_verifiesBeforeServing", FRESH, KEY, notDue, PRESENT, true, VERIFY),
        row("republish_tokenUnchangedAndNotDue_makesNoBackendCall", FRESH, KEY, notDue, INTACT, false, SERVE),
        row("republish_notDueButTampered_restoresFromTheCache", FRESH, KEY, notDue, DAMAGED, true, RESTORE),
        row("republish_notDueButLost_restoresFromTheCache", FRESH, KEY, notDue, ABSENT, true, RESTORE),
        row("republish_notDueTamperedNothingCached_fetches", FRESH, KEY, notDue, DAMAGED, false, FETCH),
        row("republish_notDueLostNothingCached_fetches", FRESH, KEY, notDue, ABSENT, false, FETCH),
        row("republish_due_fetches", FRESH, KEY, due, PRESENT, true, FETCH),
        row("republish_tokenRotated_fetchesAlthoughNotDue", FRESH, ROTATED, notDue, PRESENT, true, FETCH),
        row("republish_failedRefreshInsideBackoff_backsOffWithoutBackendCall", BACKING_OFF, KEY, inBackoff, PRESENT, true, BACK_OFF),
        row("republish_tokenRotatedInsideBackoff_stillBacksOff", BACKING_OFF, ROTATED, inBackoff, PRESENT, true, BACK_OFF),
        row("republish_backoffOver_fetches", BACKING_OFF, KEY, backoffOver, PRESENT, true, FETCH),
        row("republish_insideBackoffButVolumeEmpty_fetches", BACKING_OFF, KEY, inBackoff, ABSENT, false, FETCH),
        row("republish_insideBackoffNotDueTamperedNothingCached_backsOff", state(1, REFRESH_AT), KEY, notDue, DAMAGED, false, BACK_OFF));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decide(String name, VolumeState state, CacheKey key, Instant now, VolumeContent content,
      boolean cached, RefreshDecision expected) {
    assertThat(EXACT.decide(state, key, now, content, cached)).isEqualTo(expected);
  }

  /** The rule as serve runs it: kubelet republishes at most 90 s apart. */
  private static final RefreshRule KUBELET =
      new RefreshRule(Duration.ofMinutes(5), RefreshRule.DEFAULT_REPUBLISH_PERIOD, () -> 0.5);
  /** Without lookahead: due exactly at the refresh instant. */
  private static final RefreshRule EXACT = new RefreshRule(Duration.ofMinutes(5), Duration.ZERO, () -> 0.5);

  @Test
  void decide_dueBeforeTheNextRepublish_fetchesNow_soTheRefreshIsNotLate() {
    Instant ninetySecondsBefore = REFRESH_AT.minusSeconds(90);
    Instant justBeforeThat = ninetySecondsBefore.minusMillis(1);

    assertThat(KUBELET.decide(FRESH, KEY, ninetySecondsBefore, INTACT, true)).isEqualTo(FETCH);
    assertThat(KUBELET.decide(FRESH, KEY, justBeforeThat, INTACT, true)).isEqualTo(SERVE);
    assertThat(EXACT.decide(FRESH, KEY, ninetySecondsBefore, INTACT, true)).isEqualTo(SERVE);
  }

  @Test
  void reason_namesWhatChangedSinceThePreviousFetch() {
    Instant notDue = REFRESH_AT.minusSeconds(91);
    CacheKey otherAttributes = new CacheKey("vol-1", "uid-1", "vault", "attrs-2", KEY.tokenExpiries());
    CacheKey otherPod = new CacheKey("vol-1", "uid-2", "vault", "attrs", KEY.tokenExpiries());

    assertThat(KUBELET.reason(null, KEY, notDue, false)).isEqualTo(FetchRequest.Reason.INITIAL);
    assertThat(KUBELET.reason(FRESH, KEY, notDue, false)).isEqualTo(FetchRequest.Reason.INITIAL);
    assertThat(KUBELET.reason(null, KEY, notDue, true)).isEqualTo(FetchRequest.Reason.RECOVERED);
    assertThat(KUBELET.reason(FRESH, ROTATED, notDue, true))
        .isEqualTo(FetchRequest.Reason.TOKENS_ROTATED);
    // A rotation when the material is due anyway (within the next republish) is a due refresh.
    assertThat(KUBELET.reason(FRESH, ROTATED, REFRESH_AT.minusSeconds(90), true))
        .isEqualTo(FetchRequest.Reason.DUE);
    assertThat(KUBELET.reason(FRESH, KEY, REFRESH_AT, true)).isEqualTo(FetchRequest.Reason.DUE);
    // Same key, not due: the volume lost its content and nothing was cached.
    assertThat(KUBELET.reason(FRESH, KEY, notDue, true)).isEqualTo(FetchRequest.Reason.DUE);
    assertThat(KUBELET.reason(FRESH, otherAttributes, notDue, true))
        .isEqualTo(FetchRequest.Reason.CHANGED);
    assertThat(KUBELET.reason(FRESH, otherPod, notDue, true)).isEqualTo(FetchRequest.Reason.CHANGED);
    // A failed rotation's retry inside the backoff window is still only a rotation.
    assertThat(KUBELET.reason(BACKING_OFF, ROTATED, notDue, true))
        .isEqualTo(FetchRequest.Reason.TOKENS_ROTATED);
  }

  @Test
  void newRule_negativeRepublishPeriod_isRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() ->
        new RefreshRule(Duration.ofMinutes(5), Duration.ofSeconds(-1), () -> 0.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("republish period");
  }

  @Test
  void refreshAt_staticMaterial_isTheIntervalMovedEarlierByInjectedJitter() {
    // random 0.75 -> 0.75 of the last tenth of 600 s earlier: 45 s
    RefreshRule rule = new RefreshRule(Duration.ofMinutes(10), Duration.ZERO, () -> 0.75);

    assertThat(rule.refreshAt(Material.of(List.of()), FETCHED))
        .isEqualTo(FETCHED.plus(Duration.ofSeconds(555)));
  }

  @Test
  void retryAt_thirdFailure_isTwentySecondsWithInjectedJitter() {
    // 5 s doubled twice = 20 s; random 0.25 -> factor 1 + 0.20 * (2 * 0.25 - 1) = 0.9
    RefreshRule rule = new RefreshRule(Duration.ofMinutes(5), Duration.ZERO, () -> 0.25);

    assertThat(rule.retryAt(3, FETCHED)).isEqualTo(FETCHED.plusSeconds(18));
  }

  @Test
  void retryAt_manyFailures_isCappedAtTheMaximumBackoff() {
    RefreshRule rule = new RefreshRule(Duration.ofMinutes(5), Duration.ZERO, () -> 0.5);

    assertThat(rule.retryAt(40, FETCHED)).isEqualTo(FETCHED.plus(RefreshRule.MAX_BACKOFF));
  }

  private static Arguments row(String name, VolumeState state, CacheKey key, Instant now,
      VolumeContent content, boolean cached, RefreshDecision decision) {
    return Arguments.of(name, state, key, now, content, cached, decision);
  }

  private static VolumeState state(int failures, Instant nextAttemptAt) {
    return new VolumeState(KEY.volumeId(), "/pods/uid-1/volumes/v", KEY.backend(), "shop", "web-0",
        KEY.podUid(), KEY.attributesHash(), KEY.tokenExpiries(), null, "hash", "..2026", null,
        FETCHED, REFRESH_AT, null, failures, nextAttemptAt, failures == 0 ? null : "vault down");
  }
}
