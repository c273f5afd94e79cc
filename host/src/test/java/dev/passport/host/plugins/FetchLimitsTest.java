package dev.passport.host.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FetchLimitsTest {

  private static final Optional<String> TARPIT = Optional.of("https://tarpit.example:8200");

  private final FetchLimits limits = FetchLimits.of(3, 2);

  @Test
  void acquire_remoteAtItsLimit_isUnavailableNamingTheRemoteAndTheFlag() throws Exception {
    limits.acquire("vault", TARPIT);
    limits.acquire("vault", TARPIT);

    assertThatThrownBy(() -> limits.acquire("vault", TARPIT))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.UNAVAILABLE))
        .hasMessage("2 fetches to https://tarpit.example:8200 are already running, the most"
            + " allowed at once for one remote (--max-fetches-per-remote 2); kubelet will retry");
  }

  @Test
  void acquire_remoteFull_otherRemotesOfTheBackendStillRun() throws Exception {
    limits.acquire("vault", TARPIT);
    limits.acquire("vault", TARPIT);

    limits.acquire("vault", Optional.of("https://vault.example:8200"));

    assertThat(limits.running("vault")).isEqualTo(3);
  }

  @Test
  void acquire_backendAtItsLimit_isUnavailableNamingTheBackend_otherBackendsStillRun()
      throws Exception {
    for (int i = 0; i < 3; i++) {
      limits.acquire("http", Optional.of("https://a" + i + ".example:443"));
    }

    assertThatThrownBy(() -> limits.acquire("http", Optional.empty()))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.UNAVAILABLE))
        .hasMessage("3 fetches of backend http are already running, the most allowed at once"
            + " (--max-fetches-per-backend 3); kubelet will retry");
    limits.acquire("vault", Optional.empty());
  }

  @Test
  void release_givesThePlaceBackOnce_andForgetsIdleRemotes() throws Exception {
    FetchLimits.Permit permit = limits.acquire("vault", TARPIT);
    limits.acquire("vault", TARPIT);

    permit.release();
    permit.release();

    assertThat(limits.running("vault")).isEqualTo(1);
    limits.acquire("vault", TARPIT);
    assertThatThrownBy(() -> limits.acquire("vault", TARPIT)).isInstanceOf(BackendException.class);
  }

  @Test
  void release_ofTheLastFetchToARemote_removesItsEntry() throws Exception {
    FetchLimits.Permit permit = limits.acquire("vault", TARPIT);

    permit.release();

    assertThat(limits.remotesInUse()).isZero();
    assertThat(limits.running("vault")).isZero();
  }

  @Test
  void acquire_sameRemoteInAnotherCase_countsAsTheSameRemote() throws Exception {
    limits.acquire("vault", TARPIT);
    limits.acquire("vault", Optional.of("HTTPS://TARPIT.EXAMPLE:8200"));

    assertThatThrownBy(() -> limits.acquire("vault", TARPIT)).isInstanceOf(BackendException.class);
  }

  @Test
  void acquire_remoteWithControlCharactersAndGreatLength_isShownEscapedAndCut() throws Exception {
    Optional<String> forged = Optional.of("https://x\n2026 INFO forged" + "a".repeat(500));
    limits.acquire("vault", forged);
    limits.acquire("vault", forged);

    assertThatThrownBy(() -> limits.acquire("vault", forged))
        .hasMessageNotContaining("\n")
        .hasMessageContaining("https://x?2026 INFO forged")
        .hasMessageContaining("…")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));
  }

  @Test
  void of_perRemoteAbovePerBackend_failsNamingBothFlags() {
    assertThatThrownBy(() -> FetchLimits.of(4, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--max-fetches-per-remote must be between 1 and --max-fetches-per-backend (4),"
            + " got 8");
    assertThatThrownBy(() -> FetchLimits.of(0, 0))
        .hasMessage("--max-fetches-per-backend must be at least 1, got 0");
  }
}
