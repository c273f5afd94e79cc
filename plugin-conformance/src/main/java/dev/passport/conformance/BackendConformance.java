package dev.passport.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.host.PassportHost;
import dev.passport.host.cache.RefreshRule;
import dev.passport.host.logging.LogFormat;
import dev.passport.host.volume.MountMode;
import dev.passport.conformance.CsiCallException.Code;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;

/**
 * The conformance suite every backend plugin runs: extend it, say how to build the plugin and how
 * to make its backend (a fake on loopback) succeed, fail or stall, and the suite drives the plugin
 * through the real host code path over a real Unix socket with a {@link FakeKubelet}.
 *
 * <pre>{@code
 * class AcmeConformanceTest extends BackendConformance {
 *   private FakeAcmeServer acme;   // your fake, on 127.0.0.1, judging time by clock()
 *
 *   @BeforeEach void startAcme() throws IOException { acme = FakeAcmeServer.start(tokens(), clock()); }
 *   @AfterEach void stopAcme() { acme.close(); }
 *
 *   protected BackendFactory factory() { return new AcmeBackendFactory(); }
 *   protected Map<String, String> config() { return Map.of("url", acme.url()); }
 *   protected Map<String, String> attributes() { return Map.of("secret", "db"); }
 *   protected Set<String> audiences() { return Set.of("acme"); }
 *   protected void backendSucceeds() { acme.put("db", "s3cret"); }
 *   protected void backendFails(BackendException.Kind kind) {
 *     switch (kind) {
 *       case PERMISSION_DENIED -> acme.answer(403);
 *       case UNAVAILABLE -> acme.answer(503);
 *       // ...
 *       default -> Assumptions.abort("acme cannot produce " + kind);
 *     }
 *   }
 *   protected void backendStalls(Duration d) { acme.delay(d); }
 * }
 * }</pre>
 *
 * <p>Each test starts its own host (directory mounts, in-process plugin, a {@link FakeClock}) on a
 * fresh temporary directory and checks one promise:
 *
 * <ul>
 *   <li>a missing token for a required audience is refused (UNAUTHENTICATED or INVALID_ARGUMENT)
 *       with the audience named;
 *   <li>the plugin declares exactly {@link #audiences()} for {@link #attributes()}, returns
 *       relative, normalized, unique paths, and files land under the target only;
 *   <li>the same input gives the same content: a republish that is due (clock moved past the
 *       refresh time, tokens rotated) fetches again and yields identical bytes;
 *   <li>each failure kind maps to its gRPC code, a first publish that fails leaves no content, and
 *       a failed republish keeps the content and answers a code kubelet retries;
 *   <li>deadlines are honoured: with a short fetch timeout a stalled backend gives
 *       DEADLINE_EXCEEDED, and the plugin's stalled call returns soon after;
 *   <li>no non-daemon thread survives {@code close()};
 *   <li>no minted token appears in any captured log line (at DEBUG and below) or error;
 *   <li>with the driver's production logging (the host's logback configuration, text and JSON,
 *       root at TRACE, java.util.logging bridged to SLF4J as {@code passport} does), what the log
 *       appender writes holds no minted token and none of {@link #backendSecrets()}, whatever
 *       library logged it.
 * </ul>
 *
 * <p>Fakes must judge time by {@link #clock()}, which the suite moves, and verify tokens with
 * {@link #tokens()}. The pod is in namespace {@value #NAMESPACE} with service account
 * {@value #SERVICE_ACCOUNT}. A {@link #backendFails} that cannot simulate a kind should call
 * {@link Assumptions#abort(String)}: that case is then reported as skipped.
 */
public abstract class BackendConformance {

  /** The namespace of the pod the suite mounts volumes for. */
  public static final String NAMESPACE = "conformance";
  /** The service account of the pod the suite mounts volumes for. */
  public static final String SERVICE_ACCOUNT = "app";
  /** The host's default refresh interval in the suite. */
  public static final Duration REFRESH_INTERVAL = Duration.ofMinutes(5);
  /** The host's fetch timeout except in the deadline test. */
  public static final Duration FETCH_TIMEOUT = Duration.ofSeconds(20);
  /**
   * The fetch timeout in the deadline test: long enough that a warm host reaches the plugin
   * within it on a loaded machine (a cold one gets retried, as kubelet would).
   */
  public static final Duration SHORT_FETCH_TIMEOUT = Duration.ofSeconds(2);

  /** kubelet's codes that are not final: it keeps the volume and retries (csi_client.go). */
  private static final Set<Code> RETRYABLE = Set.of(Code.CANCELLED,
      Code.DEADLINE_EXCEEDED, Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED,
      Code.ABORTED);
  private static final Duration KUBELET_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration BOUNDED_WAIT = Duration.ofSeconds(30);
  /** Publishes of a stalled volume until one reached the plugin (see the deadline test). */
  private static final int STALL_ATTEMPTS = 5;
  /**
   * How long threads get, in all, to finish after close(): exiting pool threads need millis, but
   * a loaded 2-core machine may not schedule them for seconds. Only a real leak waits it out.
   */
  private static final Duration THREAD_EXIT_WAIT = Duration.ofSeconds(15);
  private static final ServiceAccountTokens SHARED_TOKENS = ServiceAccountTokens.create();
  private static final String LOG_CANARY_LOGGER = "dev.passport.conformance.canary";
  private static final String LOG_CANARY = "conformance log canary, logged through JUL at FINEST";
  /** JWT-shaped ({"alg":"none"}.{"canary":true}.signature): the sink must mask it, seen or not. */
  private static final String CANARY_JWT =
      "eyJhbGciOiJub25lIn0.eyJjYW5hcnkiOnRydWV9.c2lnbmF0dXJlLW9mLXRoZS1jYW5hcnk";

  /** Every log event of each test; fails the test when a minted token shows up in one. */
  @RegisterExtension
  protected final LogCapture logs = LogCapture.checkingFor(SHARED_TOKENS::minted);

  private final FakeClock clock = FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Path workDir;
  private ObservedBackendFactory observed;
  private PassportHost host;
  private FakeKubelet kubelet;

  /** The plugin's factory, as its {@code META-INF/services} entry names it. */
  protected abstract BackendFactory factory();

  /** The plugin's configuration (its {@code <name>.properties}), pointing at the fake backend. */
  protected abstract Map<String, String> config();

  /** The attributes of a valid volume, without {@code backend} (the suite adds it). */
  protected abstract Map<String, String> attributes();

  /** The token audiences a volume with {@link #attributes()} needs. */
  protected abstract Set<String> audiences();

  /** Makes the backend answer the next fetches with deterministic content. */
  protected abstract void backendSucceeds();

  /** Makes the backend fail the next fetches so that the plugin throws {@code kind}. */
  protected abstract void backendFails(BackendException.Kind kind);

  /** Makes the backend take {@code duration} before answering the next fetches. */
  protected abstract void backendStalls(Duration duration);

  /**
   * The backend's own credentials the plugin obtained during the test (a Vault client token the
   * server issued, an access token the fake token endpoint minted, ...), read after the lifecycle
   * ran: none may appear in the production log output. Default: none.
   */
  protected Set<String> backendSecrets() {
    return Set.of();
  }

  /**
   * How many things the fake backend has issued so far: certificates, leases, dynamic
   * credentials, anything a fetch creates rather than reads. Empty (the default) for backends that
   * only read; the token-rotation check then asserts only that the content stays the same.
   */
  protected OptionalLong issuances() {
    return OptionalLong.empty();
  }

  /** The token minter every fake must verify with; shared by all suites in the JVM. */
  protected ServiceAccountTokens tokens() {
    return SHARED_TOKENS;
  }

  /** Static access to {@link #tokens()}, for fakes started in {@code @BeforeAll}. */
  protected static ServiceAccountTokens sharedTokens() {
    return SHARED_TOKENS;
  }

  /** The clock of the host, the fake kubelet and (it should be) the fake backend. */
  protected FakeClock clock() {
    return clock;
  }

  /** The pod whose volume the suite mounts; a fresh UID each call. */
  protected Pod pod() {
    return Pods.pod(NAMESPACE, "app-0", SERVICE_ACCOUNT);
  }

  /** The TTL kubelet requests for the pod's tokens. */
  protected Duration tokenTtl() {
    return PodVolume.DEFAULT_TOKEN_TTL;
  }

  /** Where kubelet puts the tokens. */
  protected TokenPlacement tokenPlacement() {
    return TokenPlacement.SECRETS;
  }

  /** A hook to adjust the host, e.g. its volume size limit; the suite's settings are already set. */
  protected PassportHost.Builder configureHost(PassportHost.Builder builder) {
    return builder;
  }

  @BeforeEach
  protected final void prepareConformanceDirectory(@TempDir Path dir) {
    this.workDir = dir;
  }

  @AfterEach
  protected final void stopConformanceHost() {
    stopKubeletAndHost();
  }

  @Test
  public void publish_tokenMissingForARequiredAudience_isRefusedNamingTheAudience() {
    Assumptions.assumeFalse(audiences().isEmpty(),
        "the backend needs no token, so there is none to withhold");
    backendSucceeds();
    startHost(FETCH_TIMEOUT);

    for (String audience : new java.util.TreeSet<>(audiences())) {
      Set<String> others = new HashSet<>(audiences());
      others.remove(audience);
      PodVolume withheld = volume().withAudiences(others);

      CsiCallException e = expectFailure(() -> kubelet.mount(withheld));

      assertThat(e.code())
          .as("code when the token for audience \"%s\" is missing", audience)
          .isIn(Code.UNAUTHENTICATED, Code.INVALID_ARGUMENT);
      assertThat(e.description())
          .as("the message must name the missing audience")
          .contains("\"" + audience + "\"");
      assertNoContent(withheld);
    }
  }

  @Test
  public void publish_backendSucceeds_writesRelativeSafePathsUnderTheTargetOnly()
      throws IOException {
    backendSucceeds();
    startHost(FETCH_TIMEOUT);

    MountedVolume volume = kubelet.mount(volume());

    assertThat(observed.declaredAudiences()).as("the audiences of what prepare(attributes()) returned")
        .containsOnly(audiences());
    Material material = lastReturned();
    assertThat(material.files()).as("files the plugin returned").isNotEmpty();
    assertSafePaths(material);
    Map<String, byte[]> expected = new TreeMap<>();
    material.files().forEach(f -> expected.put(f.path(), f.content()));
    assertThat(volume.readAll().keySet()).containsExactlyElementsOf(expected.keySet());
    expected.forEach((path, content) ->
        assertThat(volume.readBytes(path)).as("content of %s", path).isEqualTo(content));
    assertEverythingUnder(kubeletRoot(), volume.targetPath());
  }

  @Test
  public void republish_dueWithRotatedTokens_fetchesAgainAndGivesIdenticalBytes() {
    backendSucceeds();
    startHost(FETCH_TIMEOUT);
    MountedVolume volume = kubelet.mount(volume());
    Map<String, byte[]> first = contentOf(volume);
    int fetches = observed.fetches();

    moveClockPastRefresh(lastReturned());
    moveClockPastTokenRotation();
    kubelet.republish(volume);

    assertThat(observed.fetches())
        .as("the host should have fetched again once the refresh was due")
        .isGreaterThan(fetches);
    assertThat(contentOf(volume)).as("content after a fetch with the same input")
        .containsExactlyInAnyOrderEntriesOf(first);
    assertThat(Set.copyOf(lastReturned().files()))
        .isEqualTo(Set.copyOf(observed.returned().get(0).files()));
  }

  /**
   * kubelet rotates the pod's tokens at 80 % of their TTL (about every 48 minutes with its default
   * {@code expirationSeconds: 3600}). The host asks the backend (material obtained with a token is
   * not kept past it silently) with {@code TOKENS_ROTATED} and the previous material; a backend
   * that issues (certificates, leases) answers with that material unchanged, so a rotation issues
   * nothing and the volume keeps its bytes.
   */
  @Test
  public void republish_tokensRotatedBeforeTheMaterialIsDue_issuesNothingAndKeepsTheContent() {
    backendSucceeds();
    Duration rotation = tokenTtl().multipliedBy(8).dividedBy(10).plusSeconds(1);
    // Static material is not due at the rotation either: only the tokens changed.
    startHost(FETCH_TIMEOUT, rotation.multipliedBy(3));
    MountedVolume volume = kubelet.mount(volume());
    Map<String, byte[]> first = contentOf(volume);
    Instant rotatedAt = clock.instant().plus(rotation);
    assumeTrue(lastReturned().refreshAt()
            .map(at -> at.isAfter(rotatedAt.plus(RefreshRule.DEFAULT_REPUBLISH_PERIOD)))
            .orElse(true),
        "the plugin's material is due before kubelet rotates the tokens: nothing to check");
    OptionalLong issuedBefore = issuances();
    int fetches = observed.fetches();

    clock.advance(rotation);
    kubelet.republish(volume);

    assertThat(observed.fetches()).as("a rotated token makes the host ask the backend")
        .isEqualTo(fetches + 1);
    FetchRequest asked = observed.requests().get(observed.requests().size() - 1);
    assertThat(asked.reason()).isEqualTo(FetchRequest.Reason.TOKENS_ROTATED);
    assertThat(asked.previous()).as("the material the volume holds").isPresent();
    if (issuedBefore.isPresent()) {
      assertThat(issuances()).as("issued by the backend after a token rotation alone")
          .isEqualTo(issuedBefore);
    }
    assertThat(contentOf(volume)).as("content after a token rotation")
        .containsExactlyInAnyOrderEntriesOf(first);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(BackendException.Kind.class)
  public void publish_backendFails_answersTheKindsCodeAndLeavesNoContent(
      BackendException.Kind kind) {
    backendFails(kind);
    startHost(FETCH_TIMEOUT);
    PodVolume spec = volume();

    CsiCallException e = expectFailure(() -> kubelet.mount(spec));

    assertThat(e.code()).as("gRPC code for a backend failing with %s", kind)
        .isEqualTo(Code.valueOf(kind.name()));
    assertThat(e.description()).as("a message the user can act on").isNotBlank();
    assertNoContent(spec);
  }

  @Test
  public void republish_backendDownAfterSuccess_keepsTheContentAndAnswersARetryableCode() {
    backendSucceeds();
    startHost(FETCH_TIMEOUT);
    MountedVolume volume = kubelet.mount(volume());
    Map<String, byte[]> published = contentOf(volume);

    backendFails(BackendException.Kind.UNAVAILABLE);
    moveClockPastRefresh(lastReturned());
    CsiCallException e = expectFailure(() -> kubelet.republish(volume));

    assertThat(e.code())
        .as("a failed republish must not be final, or kubelet may remove the volume")
        .isIn(RETRYABLE);
    assertThat(contentOf(volume)).containsExactlyInAnyOrderEntriesOf(published);
  }

  @Test
  public void publish_backendStallsPastTheFetchTimeout_answersDeadlineExceededAndTheFetchReturns()
      throws InterruptedException {
    backendStalls(Duration.ofMinutes(5));
    startHost(SHORT_FETCH_TIMEOUT);
    PodVolume spec = volume();

    // On a loaded machine a cold JVM may not even reach the plugin within the short timeout (the
    // host then answers DEADLINE_EXCEEDED without a fetch): kubelet retries, and so does the test,
    // until a fetch has reached the plugin; each attempt runs on a warmer JVM.
    CsiCallException e = null;
    for (int attempt = 0; attempt < STALL_ATTEMPTS && observed.requests().isEmpty(); attempt++) {
      e = expectFailure(() -> kubelet.mount(spec));
      assertThat(e.code()).isEqualTo(Code.DEADLINE_EXCEEDED);
      assertThat(String.valueOf(e.description()))
          .as("the host must answer, not the fake kubelet's own %s deadline", KUBELET_TIMEOUT)
          .doesNotStartWith("deadline exceeded after")
          .doesNotStartWith("ClientCall started after");
    }

    assertThat(observed.requests())
        .as("fetches that reached the plugin in %s attempts", STALL_ATTEMPTS).isNotEmpty();
    assertThat(observed.awaitNoFetchInFlight(BOUNDED_WAIT.toMillis()))
        .as("the plugin's fetch should return soon after FetchRequest.deadline or an interrupt,"
            + " not after the backend's %s stall", Duration.ofMinutes(5))
        .isTrue();
    assertNoContent(spec);
  }

  /**
   * How long the thread check waits for threads to end after close(). Package-private: only this
   * package's self-test, whose plugin leaks a thread on purpose and so always waits it out,
   * shortens it.
   */
  Duration threadExitWait() {
    return THREAD_EXIT_WAIT;
  }

  @Test
  public void close_afterPublishRepublishUnpublish_leavesNoNonDaemonThread()
      throws InterruptedException {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    backendSucceeds();
    startHost(FETCH_TIMEOUT);
    MountedVolume volume = kubelet.mount(volume());
    moveClockPastRefresh(lastReturned());
    kubelet.republish(volume);
    kubelet.unmount(volume);

    stopKubeletAndHost();

    List<Thread> survivors = new ArrayList<>();
    long deadline = System.nanoTime() + threadExitWait().toNanos();
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (!before.contains(thread) && !thread.isDaemon()) {
        // a pool thread may still be on its way out: give it a bounded time to finish
        thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        if (thread.isAlive()) {
          survivors.add(thread);
        }
      }
    }
    assertThat(survivors.stream().map(Thread::getName).collect(Collectors.toList()))
        .as("non-daemon threads started by the plugin or host that outlived close();"
            + " they would keep the driver process from exiting")
        .isEmpty();
  }

  @Test
  public void lifecycle_withRotationAndFailures_putsNoTokenInLogsOrErrors() {
    backendSucceeds();
    startHost(FETCH_TIMEOUT);
    MountedVolume volume = kubelet.mount(volume().withPlacement(TokenPlacement.VOLUME_CONTEXT));
    moveClockPastRefresh(lastReturned());
    kubelet.republish(volume);
    backendFails(BackendException.Kind.UNAUTHENTICATED);
    moveClockPastRefresh(lastReturned());
    expectFailure(() -> kubelet.republish(volume));
    expectFailure(() -> kubelet.mount(volume()));
    kubelet.unmount(volume);

    assertThat(SHARED_TOKENS.minted()).isNotEmpty();
    LogHygiene.assertNoSecrets(SHARED_TOKENS.minted(), logs.lines());
    assertThat(volume.targetPath()).doesNotExist();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LogFormat.class)
  public void lifecycle_withProductionLoggingAtTrace_writesNoTokenOrBackendSecret(LogFormat format) {
    List<String> written;
    URL configuration;
    try (ProductionLogRun run = ProductionLogRun.start(format)) {
      configuration = run.configuration();
      // what a library's request dump would look like: through JUL, at its finest level
      java.util.logging.Logger.getLogger(LOG_CANARY_LOGGER)
          .finest(LOG_CANARY + ": Authorization: " + CANARY_JWT);
      backendSucceeds();
      startHost(FETCH_TIMEOUT);
      MountedVolume inSecrets = kubelet.mount(volume().withPlacement(TokenPlacement.SECRETS));
      MountedVolume inContext = kubelet.mount(volume().withPlacement(TokenPlacement.VOLUME_CONTEXT));
      moveClockPastRefresh(lastReturned());
      moveClockPastTokenRotation();
      kubelet.republish(inSecrets);
      kubelet.republish(inContext);
      backendFails(BackendException.Kind.UNAUTHENTICATED);
      moveClockPastRefresh(lastReturned());
      expectFailure(() -> kubelet.republish(inSecrets));
      expectFailure(() -> kubelet.mount(volume()));
      kubelet.unmount(inSecrets);
      kubelet.unmount(inContext);
      stopKubeletAndHost();
      written = run.lines();
    }

    assertThat(written)
        .as("the production appender's output should carry the JUL canary logged at FINEST:"
            + " without it the JUL bridge or the TRACE root is not in place, and the check below"
            + " proves nothing (configuration: %s)", configuration)
        .anyMatch(line -> line.contains(LOG_CANARY));
    Set<String> secrets = new HashSet<>(SHARED_TOKENS.minted());
    secrets.add(CANARY_JWT);
    Set<String> backendSecrets = backendSecrets();
    assertThat(backendSecrets).as("backendSecrets()").isNotNull();
    secrets.addAll(backendSecrets);
    LogHygiene.assertNoSecrets(secrets, written);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private void startHost(Duration fetchTimeout) {
    startHost(fetchTimeout, REFRESH_INTERVAL);
  }

  private void startHost(Duration fetchTimeout, Duration refreshInterval) {
    observed = new ObservedBackendFactory(factory());
    try {
      host = configureHost(PassportHost.builder()
          .socket(workDir.resolve("csi.sock"))
          .stateDir(workDir.resolve("state"))
          .mountMode(MountMode.DIRECTORY)
          .kubeletDir(kubeletRoot())
          .backendFactory(observed, config())
          .clock(clock)
          .refreshInterval(refreshInterval)
          .fetchTimeout(fetchTimeout)
          .nodeId("conformance-node"))
          .start();
    } catch (Exception e) {
      throw new AssertionError("the host did not start with plugin " + observed.name() + ": "
          + e.getMessage(), e);
    }
    kubelet = FakeKubelet.connect(host.socket(), SHARED_TOKENS, clock, KUBELET_TIMEOUT);
  }

  private void stopKubeletAndHost() {
    if (kubelet != null) {
      kubelet.close();
      kubelet = null;
    }
    if (host != null) {
      host.close();
      host = null;
    }
  }

  private PodVolume volume() {
    Map<String, String> attributes = new LinkedHashMap<>(attributes());
    attributes.put("backend", observed.name());
    return PodVolume.of(pod(), "conformance", kubeletRoot(), attributes, audiences())
        .withTokenTtl(tokenTtl())
        .withPlacement(tokenPlacement());
  }

  private Path kubeletRoot() {
    return workDir.resolve("kubelet");
  }

  private CsiCallException expectFailure(Runnable call) {
    try {
      call.run();
    } catch (CsiCallException e) {
      LogHygiene.assertNoSecrets(SHARED_TOKENS.minted(), e);
      return e;
    }
    return fail("expected the host to refuse the call, but it succeeded");
  }

  private Material lastReturned() {
    List<Material> returned = observed.returned();
    assertThat(returned).as("material the plugin returned").isNotEmpty();
    return returned.get(returned.size() - 1);
  }

  /** Past the refresh time, whatever jitter the host applied. */
  private void moveClockPastRefresh(Material material) {
    Instant now = clock.instant();
    Duration interval = material.refreshAt()
        .map(at -> Duration.between(now, at))
        .filter(d -> !d.isNegative())
        .orElse(REFRESH_INTERVAL);
    clock.advance(interval.plus(interval.dividedBy(10)).plusSeconds(1));
  }

  /** Far enough that kubelet replaces the pod's tokens (80 % of their TTL). */
  private void moveClockPastTokenRotation() {
    clock.advance(tokenTtl().multipliedBy(8).dividedBy(10).plusSeconds(1));
  }

  private static Map<String, byte[]> contentOf(MountedVolume volume) {
    Map<String, byte[]> content = new TreeMap<>();
    for (String path : volume.readAll().keySet()) {
      content.put(path, volume.readBytes(path));
    }
    return content;
  }

  private static void assertSafePaths(Material material) {
    Set<String> seen = new HashSet<>();
    for (MaterialFile file : material.files()) {
      String path = file.path();
      assertThat(path).as("a returned path").isNotEmpty()
          .doesNotStartWith("/").doesNotContain("\\").doesNotContain("\0");
      for (String segment : path.split("/", -1)) {
        assertThat(segment).as("segment of %s", path).isNotEmpty().isNotEqualTo(".")
            // ".." escapes the target; "..data" and friends are the atomic writer's
            .doesNotStartWith("..");
      }
      assertThat(seen.add(path)).as("%s returned twice", path).isTrue();
    }
  }

  private static void assertNoContent(PodVolume spec) {
    Path target = spec.targetPath();
    if (!Files.exists(target)) {
      return;
    }
    try (Stream<Path> entries = Files.walk(target)) {
      assertThat(entries.filter(p -> !p.equals(target)).map(Path::toString).toList())
          .as("what a failed first publish left in %s", target)
          .isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void assertEverythingUnder(Path root, Path target) throws IOException {
    Path realTarget = target.toRealPath();
    Map<String, String> outside = new HashMap<>();
    try (Stream<Path> entries = Files.walk(root)) {
      for (Path path : (Iterable<Path>) entries::iterator) {
        if (Files.isRegularFile(path) && !path.toRealPath().startsWith(realTarget)) {
          outside.put(root.relativize(path).toString(), path.toRealPath().toString());
        }
      }
    }
    assertThat(outside).as("files written outside the target %s", target).isEmpty();
  }
}
