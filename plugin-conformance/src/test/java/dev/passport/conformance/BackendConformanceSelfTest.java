package dev.passport.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.passport.conformance.ExampleBackendFactory.Flaw;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * Proves the conformance suite notices a broken plugin: each nested class runs the suite against
 * the example plugin with one flaw (nested classes are not picked up by Surefire on their own), and
 * the test checks which conformance tests failed, and why. A test that says exactly which fail (so
 * that the others pass) runs the whole suite; one that says only that some fail runs only those.
 */
class BackendConformanceSelfTest {

  @AfterAll
  static void releaseLeakedThreads() {
    ExampleBackendFactory.RELEASE_LEAKED_THREADS.countDown();
  }

  @Test
  void pluginLoggingTheToken_failsOnTheLogHygieneCheck_withoutPrintingIt() {
    Events failed = run(LogsToken.class);

    assertThat(names(failed)).contains(
        "lifecycle_withRotationAndFailures_putsNoTokenInLogsOrErrors()",
        "publish_backendSucceeds_writesRelativeSafePathsUnderTheTargetOnly()");
    assertThat(messages(failed)).allSatisfy(message -> {
      assertThat(message).contains("secret leak");
      assertThat(BackendConformance.sharedTokens().minted()).noneMatch(message::contains);
    });
  }

  @Test
  void pluginWhoseLibraryLogsItsBackendCredential_failsTheProductionLoggingCheckOnly() {
    Events failed = run(LogsBackendSecret.class);

    // the parameterized test's invocations are named by their log format
    assertThat(names(failed)).containsExactlyInAnyOrder("TEXT", "JSON");
    assertThat(messages(failed)).allSatisfy(message -> assertThat(message).contains("secret leak"));
  }

  @Test
  void pluginPuttingTheTokenInAnError_failsEveryFailureCase() {
    // Only that these fail is asserted, so only they run (not the suite's 2 s stall test).
    Events failed = run(TokenInErrorMessage.class,
        "publish_backendFails_answersTheKindsCodeAndLeavesNoContent(dev.passport.api.BackendException$Kind)",
        "republish_backendDownAfterSuccess_keepsTheContentAndAnswersARetryableCode()",
        "lifecycle_withRotationAndFailures_putsNoTokenInLogsOrErrors()");

    assertThat(names(failed)).contains("INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED",
        "NOT_FOUND", "FAILED_PRECONDITION", "UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL",
        "republish_backendDownAfterSuccess_keepsTheContentAndAnswersARetryableCode()",
        "lifecycle_withRotationAndFailures_putsNoTokenInLogsOrErrors()");
  }

  @Test
  void pluginReturningAPathOutsideTheVolume_failsThePathCheck() {
    assertThat(names(run(UnsafePath.class,
        "publish_backendSucceeds_writesRelativeSafePathsUnderTheTargetOnly()")))
        .contains("publish_backendSucceeds_writesRelativeSafePathsUnderTheTargetOnly()");
  }

  @Test
  void pluginReturningDifferentContentForTheSameInput_failsTheDeterminismCheck() {
    assertThat(names(run(RandomContent.class))).containsExactly(
        "republish_dueWithRotatedTokens_fetchesAgainAndGivesIdenticalBytes()",
        "republish_tokensRotatedBeforeTheMaterialIsDue_issuesNothingAndKeepsTheContent()");
  }

  @Test
  void pluginIssuingAgainOnATokenRotation_failsTheRotationCheck() {
    // The example plugin reads again on every fetch, which is right for a KV read; counted as
    // issuances, as a certificate plugin's CertificateRequests would be, it is caught.
    assertThat(names(run(ReadsCountedAsIssuances.class))).containsExactly(
        "republish_tokensRotatedBeforeTheMaterialIsDue_issuesNothingAndKeepsTheContent()");
  }

  @Test
  void pluginMappingEveryFailureToInternal_failsEachOtherKind() {
    Set<String> failed = names(run(EveryFailureInternal.class));

    assertThat(failed).containsExactlyInAnyOrder("INVALID_ARGUMENT", "UNAUTHENTICATED",
        "PERMISSION_DENIED", "NOT_FOUND", "FAILED_PRECONDITION", "UNAVAILABLE",
        "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED");
  }

  @Test
  void pluginLeakingANonDaemonThread_failsTheThreadCheck() {
    assertThat(names(run(LeaksThread.class)))
        .containsExactly("close_afterPublishRepublishUnpublish_leavesNoNonDaemonThread()");
  }

  /** The whole suite against {@code suite}'s flawed plugin: the failed tests. */
  private static Events run(Class<?> suite) {
    Events tests = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(suite))
        .execute()
        .testEvents();
    assertThat(tests.started().count()).as("tests the suite ran").isGreaterThan(10);
    return tests.failed();
  }

  /** Only the suite's {@code methods} (name and parameter types) against the plugin: the failed ones. */
  private static Events run(Class<?> suite, String... methods) {
    Events tests = EngineTestKit.engine("junit-jupiter")
        .selectors(java.util.Arrays.stream(methods)
            .map(method -> selectMethod(suite.getName() + "#" + method))
            .toArray(org.junit.platform.engine.DiscoverySelector[]::new))
        .execute()
        .testEvents();
    assertThat(tests.started().count()).as("tests the suite ran").isGreaterThanOrEqualTo(methods.length);
    return tests.failed();
  }

  private static Set<String> names(Events failed) {
    Set<String> names = new TreeSet<>();
    failed.stream().map(e -> e.getTestDescriptor().getDisplayName()).forEach(names::add);
    return names;
  }

  private static List<String> messages(Events failed) {
    return failed.stream()
        .map(Event::getPayload)
        .map(p -> p.flatMap(r -> ((TestExecutionResult) r).getThrowable()))
        .map(t -> t.map(Throwable::toString).orElse(""))
        .toList();
  }

  static class LogsToken extends ExampleBackendConformanceTest {
    @Override
    Flaw flaw() {
      return Flaw.LOGS_TOKEN;
    }
  }

  static class TokenInErrorMessage extends ExampleBackendConformanceTest {
    @Override
    Flaw flaw() {
      return Flaw.TOKEN_IN_ERROR_MESSAGE;
    }
  }

  static class UnsafePath extends ExampleBackendConformanceTest {
    @Override
    Flaw flaw() {
      return Flaw.UNSAFE_PATH;
    }
  }

  static class RandomContent extends ExampleBackendConformanceTest {
    @Override
    Flaw flaw() {
      return Flaw.RANDOM_CONTENT;
    }
  }

  static class EveryFailureInternal extends ExampleBackendConformanceTest {
    @Override
    Flaw flaw() {
      return Flaw.EVERY_FAILURE_IS_INTERNAL;
    }
  }

  static class LogsBackendSecret extends ExampleBackendConformanceTest {
    @Override
    Flaw flaw() {
      return Flaw.LOGS_BACKEND_SECRET;
    }
  }

  static class ReadsCountedAsIssuances extends ExampleBackendConformanceTest {
    @Override
    protected java.util.OptionalLong issuances() {
      return java.util.OptionalLong.of(service.served());
    }
  }

  static class LeaksThread extends ExampleBackendConformanceTest {
    @Override
    Flaw flaw() {
      return Flaw.LEAKS_NON_DAEMON_THREAD;
    }

    /** Its thread never ends before the self-test does: the full wait would be 15 s of nothing. */
    @Override
    Duration threadExitWait() {
      return Duration.ofSeconds(2);
    }
  }
}
