package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultBackendTest.failure;
import static dev.passport.plugins.vault.VaultRig.attributes;
import static dev.passport.plugins.vault.VaultRig.text;
import static dev.passport.plugins.vault.VaultRig.with;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import dev.passport.api.Material;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.tools.vault.OversizedAnswer;
import dev.passport.tools.vault.OversizedAnswer.Framing;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRequest;
import dev.passport.tools.vault.VaultRole;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 13 at the backend: every Vault answer is read through the fetch's byte budget, and a
 * pod-chosen {@code vaultAddress} is connected to only when the operator allowed it.
 */
class VaultBoundaryTest {

  /** What a hostile server answered in issue 13: far past any heap Passport runs with. */
  private static final long HUGE = 150L * 1024 * 1024;
  private static final long LIMIT = 1024 * 1024;
  /**
   * What may have been written before the client closed: the limit plus the socket buffers of
   * both ends on loopback (a few MiB each on Linux). Far below {@link #HUGE}.
   */
  private static final long SENT_AT_MOST = 32L * 1024 * 1024;

  private static final String KV_OBJECTS = """
      - objectName: password
        secretPath: secret/data/shop/db
        secretKey: password
      """;
  private static final String DB_OBJECTS = """
      - objectName: db-username
        secretPath: database/creds/app
        secretKey: username
      """;

  @RegisterExtension final LogCapture logs = new LogCapture();

  private VaultRig rig;

  @BeforeEach
  void start() throws Exception {
    rig = VaultRig.start();
    rig.vault.kvPut("secret", "shop/db", Map.of("password", "kv2-secret"));
  }

  @AfterEach
  void stop() {
    LogHygiene.assertNoSecrets(rig.secrets(), logs.lines());
    rig.close();
  }

  // ------------------------------------------------------------------ byte budget

  @ParameterizedTest
  @EnumSource(Framing.class)
  void loginAnswerOf150MB_isResourceExhaustedNamingTheLimit_andTheConnectionIsClosedEarly(
      Framing framing) throws Exception {
    OversizedAnswer answer = rig.vault.answerOversized(VaultRequest.Kind.LOGIN, HUGE, framing);

    BackendException e = failure(() -> rig.fetch(attributes(KV_OBJECTS), ByteBudget.limitedTo(LIMIT)));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("login", "limit of " + LIMIT + " bytes");
    assertThat(e.getCause()).as("no cause, so no stack trace is logged").isNull();
    assertThat(answer.awaitClosedByClient(Duration.ofSeconds(30))).as(answer.toString()).isTrue();
    assertThat(answer.bytesSent()).as(answer.toString()).isLessThan(SENT_AT_MOST);
    assertThat(rig.vault.reads()).isZero();
  }

  @Test
  void readAnswerPastTheBudget_isResourceExhaustedNamingThePath() throws Exception {
    OversizedAnswer answer = rig.vault.answerOversized(VaultRequest.Kind.READ, HUGE, Framing.CHUNKED);

    BackendException e = failure(() -> rig.fetch(attributes(KV_OBJECTS), ByteBudget.limitedTo(LIMIT)));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("secret/data/shop/db", "limit of " + LIMIT + " bytes");
    assertThat(answer.awaitClosedByClient(Duration.ofSeconds(30))).as(answer.toString()).isTrue();
    assertThat(answer.bytesSent()).isLessThan(SENT_AT_MOST);
  }

  @Test
  void renewalAnswerPastTheBudget_isResourceExhausted_andTheNextFetchRenews() throws Exception {
    String username = text(rig.fetch(attributes(DB_OBJECTS)), "db-username");
    rig.clock.advance(Duration.ofMinutes(20)); // past 0.6 of the 30-minute lease: a renewal is due
    OversizedAnswer answer = rig.vault.answerOversized(VaultRequest.Kind.RENEW, HUGE, Framing.CONTENT_LENGTH);

    BackendException e = failure(() -> rig.fetch(attributes(DB_OBJECTS), ByteBudget.limitedTo(LIMIT)));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("renewing a lease", "limit of " + LIMIT + " bytes");
    assertThat(answer.awaitClosedByClient(Duration.ofSeconds(30))).as(answer.toString()).isTrue();
    // a budget is per fetch: the next one renews the same credential
    assertThat(text(rig.fetch(attributes(DB_OBJECTS), ByteBudget.limitedTo(LIMIT)), "db-username"))
        .isEqualTo(username);
    assertThat(rig.vault.reads("database/creds/app")).isEqualTo(1);
  }

  @Test
  void budgetSmallerThanTheLogin_isResourceExhaustedBeforeAnyRead() {
    // Vault's login answer is some hundred bytes: a budget of 16 refuses it
    BackendException e = failure(() -> rig.fetch(attributes(KV_OBJECTS), ByteBudget.limitedTo(16)));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("login", "limit of 16 bytes");
    assertThat(rig.vault.reads()).isZero();
  }

  @Test
  void everyAnswerOfAFetch_isChargedToItsBudget_andAReusedTokenAndLeaseCostNothing() throws Exception {
    RecordingBudget first = new RecordingBudget();
    rig.fetch(attributes(DB_OBJECTS), first);
    RecordingBudget second = new RecordingBudget();
    rig.fetch(attributes(DB_OBJECTS), second);

    // a login answer and a credential answer, each a few hundred bytes
    assertThat(first.charged()).isGreaterThan(200);
    assertThat(second.charged()).as("token and lease reused: nothing read").isZero();
  }

  @Test
  void revocationOnRelease_isBoundedToo() throws Exception {
    rig.fetch(with(attributes(DB_OBJECTS), "revokeOnUnpublish", "true"));
    OversizedAnswer answer = rig.vault.answerOversized(VaultRequest.Kind.REVOKE, HUGE, Framing.CHUNKED);

    BackendException e = failure(() -> rig.backend.release(VaultRig.VOLUME));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("revoking a lease", "limit of " + VaultClient.REVOKE_ANSWER_LIMIT);
    assertThat(answer.awaitClosedByClient(Duration.ofSeconds(30))).as(answer.toString()).isTrue();
  }

  // ------------------------------------------------------------------ allow-list

  @Test
  void vaultAddressOutsideTheAllowList_isPermissionDeniedNamingTheKey_andConnectsNowhere()
      throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String address = "http://127.0.0.1:" + listener.getLocalPort();

      BackendException e = failure(() -> rig.fetch(with(attributes(KV_OBJECTS), "vaultAddress", address)));

      assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
      assertThat(e.getMessage()).contains("vaultAddress", address, "allowedVaultAddresses",
          "vault.properties", rig.vault.address());
      assertNoConnection(listener);
    }
  }

  @Test
  void vaultAddressTricks_areRefusedWithoutAConnection() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String allowed = rig.vault.address();
      String evil = "127.0.0.1:" + listener.getLocalPort();
      for (String trick : List.of(
          "http://" + evil + "/" + allowed,       // the allowed address as a path
          "http://" + evil + "/?x=" + allowed,     // ... or as a query
          allowed.replace("http://", "http://" + evil + "@"))) {
        BackendException e = failure(() -> rig.backend.prepare(
            with(attributes(KV_OBJECTS), "vaultAddress", trick)));
        assertThat(e.kind()).as(trick).isIn(Kind.PERMISSION_DENIED, Kind.INVALID_ARGUMENT);
        assertThat(e.getMessage()).as(trick).contains("vaultAddress");
      }
      // user info: "http://127.0.0.1:port@evil" would connect to evil
      BackendException e = failure(() -> rig.backend.prepare(
          with(attributes(KV_OBJECTS), "vaultAddress", allowed + "@127.0.0.1:" + listener.getLocalPort())));
      assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
      assertThat(e.getMessage()).contains("user info");
      assertNoConnection(listener);
    }
  }

  @Test
  void vaultAddressSpelledDifferently_isTheSameVault() throws Exception {
    String spelled = rig.vault.address().replace("http://", "HTTP://") + "///";

    Material material = rig.fetch(with(attributes(KV_OBJECTS), "vaultAddress", spelled));

    assertThat(text(material, "password")).isEqualTo("kv2-secret");
  }

  @Test
  void allowedNonDefaultVault_isUsed() throws Exception {
    try (VaultDevServer other = VaultDevServer.start(rig.tokens, rig.clock)) {
      rig.allowVaultAddresses(other.address());
      other.addRole("kubernetes", VaultRole.of("web", "shop", "web"));
      other.kvPut("secret", "shop/db", Map.of("password", "from-other"));

      assertThat(text(rig.fetch(with(attributes(KV_OBJECTS), "vaultAddress", other.address())), "password"))
          .isEqualTo("from-other");
      assertThat(text(rig.fetch(attributes(KV_OBJECTS)), "password"))
          .as("the default stays allowed").isEqualTo("kv2-secret");
    }
  }

  @Test
  void preparedVolume_namesItsVaultOriginAsTheRemote() throws Exception {
    assertThat(rig.backend.prepare(attributes(KV_OBJECTS)).remote())
        .hasValue(rig.vault.address());
    rig.allowVaultAddresses("https://Vault.Example/");
    assertThat(rig.backend.prepare(with(attributes(KV_OBJECTS), "vaultAddress", "https://vault.example"))
        .remote()).hasValue("https://vault.example:443");
  }

  /** A connection made before the refusal would already wait in the backlog: accept returns it at once. */
  private static void assertNoConnection(ServerSocket listener) throws IOException {
    listener.setSoTimeout(200);
    try {
      listener.accept().close();
      throw new AssertionError("the plugin connected to " + listener.getLocalSocketAddress());
    } catch (SocketTimeoutException expected) {
      // nothing connected
    }
  }

  /** A budget that only counts: how many bytes a fetch read from Vault. */
  private static final class RecordingBudget implements ByteBudget {
    private final AtomicLong charged = new AtomicLong();

    @Override
    public long limit() {
      return Long.MAX_VALUE;
    }

    @Override
    public void charge(long bytes) {
      charged.addAndGet(bytes);
    }

    long charged() {
      return charged.get();
    }
  }
}
