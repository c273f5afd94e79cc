package dev.passport.host.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The host's budget for material in flight and the per-fetch budgets that draw on it. */
class MaterialBudgetTest {

  private final MaterialBudget host = MaterialBudget.of(100);

  @Test
  void charge_withinTheLimit_takesFromTheHost_andCloseGivesItAllBack() throws Exception {
    FetchBudget fetch = host.open(60);
    fetch.charge(10);
    fetch.charge(50);

    assertThat(fetch.charged()).isEqualTo(60);
    assertThat(host.available()).isEqualTo(40);
    fetch.close();
    assertThat(host.available()).isEqualTo(100);
  }

  @Test
  void charge_pastThePerVolumeLimit_isResourceExhaustedNamingTheLimit_andTakesNothing()
      throws Exception {
    FetchBudget fetch = host.open(60);
    fetch.charge(59);

    assertThatThrownBy(() -> fetch.charge(2))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED))
        .hasMessageContaining("limit of 60 bytes per volume");
    assertThat(fetch.charged()).isEqualTo(59);
    assertThat(host.available()).isEqualTo(41);
    fetch.close();
    assertThat(host.available()).isEqualTo(100);
  }

  @Test
  void charge_hostBudgetInUse_failsAtOnceNamingTheBudget_andHoldsNothingOfTheFailedCharge()
      throws Exception {
    FetchBudget first = host.open(80);
    FetchBudget second = host.open(80);
    first.charge(70);

    assertThatThrownBy(() -> second.charge(31))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED);
          assertThat(e.isRetryable()).isTrue();
        })
        .hasMessage("the driver's budget for material in flight (100 bytes) is in use;"
            + " kubelet will retry");
    assertThat(second.charged()).isZero();
    second.charge(30);
    assertThat(host.available()).isZero();

    first.close();
    second.close();
    assertThat(host.available()).isEqualTo(100);
  }

  @Test
  void charge_afterClose_failsAndTakesNothing() throws Exception {
    FetchBudget fetch = host.open(60);
    fetch.charge(5);
    fetch.close();

    assertThatThrownBy(() -> fetch.charge(1))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED))
        .hasMessageContaining("gave up on this fetch");
    fetch.close();
    assertThat(host.available()).isEqualTo(100);
  }

  @Test
  void chargeUpTo_chargesOnlyWhatIsMissing() throws Exception {
    FetchBudget fetch = host.open(60);
    fetch.charge(20);
    fetch.chargeUpTo(50);
    fetch.chargeUpTo(10);

    assertThat(fetch.charged()).isEqualTo(50);
    assertThatThrownBy(() -> fetch.chargeUpTo(61)).isInstanceOf(BackendException.class)
        .hasMessageContaining("limit of 60 bytes per volume");
    fetch.close();
    assertThat(host.available()).isEqualTo(100);
  }

  @Test
  void charge_negative_isRejectedWithTheRule() {
    assertThatThrownBy(() -> host.open(10).charge(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be negative");
    assertThatThrownBy(() -> MaterialBudget.of(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
  }

  @Test
  void concurrentFetches_neverHoldMoreThanTheBudget_andGiveEverythingBack() throws Exception {
    MaterialBudget budget = MaterialBudget.of(1000);
    AtomicLong highest = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        runs.add(pool.submit(() -> {
          for (int i = 0; i < 2000; i++) {
            try (FetchBudget fetch = budget.open(300)) {
              for (int chunk = 0; chunk < 3; chunk++) {
                fetch.charge(100);
                highest.accumulateAndGet(budget.capacity() - budget.available(), Math::max);
              }
            } catch (BackendException e) {
              // In use or over the limit: the fetch fails, and its close gives back what it took.
            }
          }
          return null;
        }));
      }
      for (Future<?> run : runs) {
        run.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(highest.get()).isLessThanOrEqualTo(1000);
    assertThat(budget.available()).isEqualTo(1000);
  }
}
