package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.FetchRequest.Reason;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the backend does with each {@link FetchRequest.Reason} (issue 15: a token rotation never
 * issues), csi-lib's {@code fs-group} rule and modes, the identity a certificate needs (issue 18
 * item 3) and the bounds on what it remembers of failing volumes (issue 18 item 8).
 */
class CertManagerReasonsTest {

  /**
   * The plugin's timeout in tests whose issuer stalls through it: short, and long enough for a
   * working API call on a loaded CI machine (200 and 300 ms were missed there).
   */
  private static final String STALL_TIMEOUT = "2s";

  private static final String VOLUME_ID = "csi-" + "ab".repeat(32);
  private static final Instant START = Instant.parse("2026-11-26T12:00:00Z");

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);

  private final FakeClock clock = FakeClock.at(START);
  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private FakeCertManager certManager;
  private TestBackendContext context;
  private CertManagerBackend backend;

  @BeforeEach
  void start() throws Exception {
    certManager = new FakeCertManager(clock);
    context = TestBackendContext.builder().clock(clock).nodeId("node-1").build();
    backend = newBackend("10s");
  }

  @AfterEach
  void stop() {
    backend.close();
    context.close();
    certManager.close();
  }

  private CertManagerBackend newBackend(String timeout) throws BackendException {
    return (CertManagerBackend) new CertManagerBackendFactory().create(
        Map.of("apiServer", certManager.url(), "timeout", timeout), context);
  }

  private static Map<String, String> attributes(String... keyValues) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put(ISSUER_NAME, "ca-issuer");
    attributes.put(DNS_NAMES, "web.example.com");
    for (int i = 0; i < keyValues.length; i += 2) {
      attributes.put(keyValues[i], keyValues[i + 1]);
    }
    return attributes;
  }

  /** A fresh token each call, as after a kubelet rotation. */
  private ServiceAccountToken token() {
    return tokens.token(pod, "", clock.instant(), Duration.ofHours(1));
  }

  private FetchRequest.Builder request(String volumeId) {
    return FetchRequest.builder().volumeId(volumeId).pod(pod).tokens(Map.of("", token()))
        .deadline(clock.instant().plus(Duration.ofMinutes(2)));
  }

  private Material fetch(Map<String, String> attributes, FetchRequest.Builder request)
      throws BackendException {
    return backend.fetch(backend.prepare(attributes), request.build());
  }

  private Material first(Map<String, String> attributes) throws BackendException {
    return fetch(attributes, request(VOLUME_ID));
  }

  private Material again(Map<String, String> attributes, Material previous, Reason reason)
      throws BackendException {
    return fetch(attributes, request(VOLUME_ID).previous(Optional.of(previous)).reason(reason));
  }

  private static Material without(Material material, String path) {
    List<MaterialFile> files = new ArrayList<>(material.files());
    files.removeIf(file -> file.path().equals(path));
    return Material.of(files).withRefreshAt(material.refreshAt().orElseThrow());
  }

  // --- reasons ---------------------------------------------------------------------------------

  @Test
  void tokensRotated_certificateNotDue_returnsPreviousUnchangedWithoutAnyApiCall() throws Exception {
    Map<String, String> attributes = attributes();
    Material first = first(attributes);
    clock.advance(Duration.ofMinutes(48));
    certManager.takeRequests();

    Material rotated = again(attributes, first, Reason.TOKENS_ROTATED);

    assertThat(rotated).isSameAs(first);
    assertThat(certManager.takeRequests()).isEmpty();
    assertThat(certManager.created()).hasSize(1);
  }

  @Test
  void tokensRotated_apiServerDown_stillReturnsPrevious() throws Exception {
    Map<String, String> attributes = attributes();
    Material first = first(attributes);
    certManager.failApi(503);

    assertThat(again(attributes, first, Reason.TOKENS_ROTATED)).isSameAs(first);
  }

  @Test
  void tokensRotated_previousLacksTheKey_issuesANewCertificate() throws Exception {
    Map<String, String> attributes = attributes();
    Material first = first(attributes);

    Material renewed = again(attributes, without(first, "tls.key"), Reason.TOKENS_ROTATED);

    assertThat(certManager.created()).hasSize(2);
    assertThat(renewed.file("tls.key")).isPresent();
  }

  @Test
  void tokensRotated_previousLacksTheKeystoreTheAttributesAskFor_issues() throws Exception {
    Material first = first(attributes());
    Map<String, String> withKeystore = attributes(PKCS12_ENABLE, "true", PKCS12_PASSWORD, "pw");

    Material renewed = again(withKeystore, first, Reason.TOKENS_ROTATED);

    assertThat(certManager.created()).hasSize(2);
    assertThat(renewed.file("keystore.p12")).isPresent();
  }

  @Test
  void tokensRotated_certificateDoesNotCertifyTheKey_issues() throws Exception {
    Map<String, String> attributes = attributes();
    Material first = first(attributes);
    Material other = fetch(attributes, request("csi-" + "cd".repeat(32)));
    List<MaterialFile> mixed = new ArrayList<>(without(first, "tls.key").files());
    mixed.add(other.file("tls.key").orElseThrow());

    again(attributes, Material.of(mixed).withRefreshAt(first.refreshAt().orElseThrow()),
        Reason.TOKENS_ROTATED);

    assertThat(certManager.created()).hasSize(3);
  }

  @Test
  void recovered_notYetDue_keepsTheCertificateAndSetsItsRenewalTime() throws Exception {
    Map<String, String> attributes = attributes(DURATION, "24h", RENEW_BEFORE, "1h");
    Material first = first(attributes);
    clock.set(START.plus(Duration.ofHours(22)));

    Material recovered = again(attributes, Material.of(first.files()), Reason.RECOVERED);

    assertThat(recovered.files()).extracting(MaterialFile::content)
        .containsExactlyElementsOf(first.files().stream().map(MaterialFile::content).toList());
    assertThat(recovered.refreshAt()).contains(START.plus(Duration.ofHours(23)));
    assertThat(certManager.created()).hasSize(1);
  }

  @Test
  void recovered_atExactlyNotAfterMinusRenewBefore_issues() throws Exception {
    Map<String, String> attributes = attributes(DURATION, "24h", RENEW_BEFORE, "1h");
    Material first = first(attributes);
    clock.set(START.plus(Duration.ofHours(23)));

    again(attributes, Material.of(first.files()), Reason.RECOVERED);

    assertThat(certManager.created()).hasSize(2);
  }

  @Test
  void due_changedAndInitial_issueEvenWhenThePreviousCertificateIsFarFromRenewal() throws Exception {
    Map<String, String> attributes = attributes();
    Material first = first(attributes);

    again(attributes, first, Reason.DUE);
    again(attributes, first, Reason.CHANGED);

    assertThat(certManager.created()).hasSize(3);
  }

  @Test
  void refreshAt_isExactlyNotAfterMinusRenewBefore_asCsiDriversNextIssuanceTime() throws Exception {
    Material material = first(attributes(DURATION, "1h", RENEW_BEFORE, "59m"));

    assertThat(material.refreshAt()).contains(START.plus(Duration.ofMinutes(1)));
    assertThat(material.expiresAt()).contains(START.plus(Duration.ofHours(1)));
  }

  @Test
  void refreshAt_renewBeforeUnset_isTwoThirdsOfTheLifetime_asCsiDriver() throws Exception {
    Material material = first(attributes(DURATION, "90m"));

    assertThat(material.refreshAt()).contains(START.plus(Duration.ofMinutes(60)));
  }

  // --- fs-group --------------------------------------------------------------------------------

  @Test
  void fsGroup_withoutPodFsGroup_asksTheHostForThatGroupWithCsiLibsMode0440() throws Exception {
    Material material = first(attributes(FS_GROUP, "2000"));

    assertThat(material.group()).isEqualTo(OptionalInt.of(2000));
    assertThat(material.files()).hasSize(3)
        .allSatisfy(file -> assertThat(file.chosenMode()).isEqualTo(OptionalInt.of(0440)));
  }

  @Test
  void fsGroup_winsOverThePodsFsGroup_asInCsiLib() throws Exception {
    Material material = fetch(attributes(FS_GROUP, "2000"),
        request(VOLUME_ID).mountGroup(OptionalInt.of(3000)));

    assertThat(material.group()).isEqualTo(OptionalInt.of(2000));
  }

  @Test
  void podFsGroupOnly_leavesTheGroupToTheHostAndMakesFilesGroupReadable() throws Exception {
    Material material = fetch(attributes(), request(VOLUME_ID).mountGroup(OptionalInt.of(3000)));

    assertThat(material.group()).isEmpty();
    assertThat(material.files())
        .allSatisfy(file -> assertThat(file.chosenMode()).isEqualTo(OptionalInt.of(0440)));
  }

  @Test
  void fsGroup_recoveredVolume_keepsTheGroupAndModes() throws Exception {
    Map<String, String> attributes = attributes(FS_GROUP, "2000");
    Material first = first(attributes);
    List<MaterialFile> readBack = first.files().stream()
        .map(file -> MaterialFile.of(file.path(), file.content(), 0644)).toList();

    Material recovered = again(attributes, Material.of(readBack), Reason.RECOVERED);

    assertThat(certManager.created()).hasSize(1);
    assertThat(recovered.group()).isEqualTo(OptionalInt.of(2000));
    assertThat(recovered.files())
        .allSatisfy(file -> assertThat(file.chosenMode()).isEqualTo(OptionalInt.of(0440)));
  }

  // --- identity (issue 18 item 3) --------------------------------------------------------------

  @Test
  void prepare_onlyIssuerName_isInvalidArgumentNamingTheIdentityAttributes_beforeAnyApiCall()
      throws Exception {
    certManager.takeRequests();

    assertThatThrownBy(() -> backend.prepare(Map.of(ISSUER_NAME, "ca-issuer")))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains("no identity").contains(COMMON_NAME)
              .contains(DNS_NAMES).contains(IP_SANS).contains(URI_SANS);
        });
    assertThat(certManager.takeRequests()).isEmpty();
  }

  @Test
  void prepare_anyOneIdentity_isEnough() throws Exception {
    for (String key : List.of(COMMON_NAME, DNS_NAMES, URI_SANS, IP_SANS)) {
      String value = key.equals(IP_SANS) ? "10.0.0.1"
          : key.equals(URI_SANS) ? "spiffe://cluster.local/web" : "web";
      assertThat(backend.prepare(Map.of(ISSUER_NAME, "ca-issuer", key, value))).isNotNull();
    }
  }

  // --- bounded memory (issue 18 item 8) --------------------------------------------------------

  @Test
  void deniedVolume_isNotRemembered() {
    certManager.mode(FakeCertManager.Mode.DENY, "no");

    assertThatThrownBy(() -> first(attributes())).isInstanceOf(BackendException.class);

    assertThat(backend.remembered()).isZero();
  }

  @Test
  void webhookRefusal_isNotRemembered() {
    certManager.failApi(406);

    assertThatThrownBy(() -> first(attributes())).isInstanceOf(BackendException.class);

    assertThat(backend.remembered()).isZero();
  }

  @Test
  void stalledRequest_forgottenOnRelease() throws Exception {
    backend.close();
    backend = newBackend(STALL_TIMEOUT);
    certManager.mode(FakeCertManager.Mode.STALL);
    assertThatThrownBy(() -> first(attributes())).isInstanceOf(BackendException.class);
    assertThat(backend.remembered()).isEqualTo(1);

    backend.release(VOLUME_ID);

    assertThat(backend.remembered()).isZero();
  }

  @Test
  void stalledRequest_afterMaxWaits_isForgottenAndTheNextAttemptCreatesANewOne() throws Exception {
    backend.close();
    backend = newBackend(STALL_TIMEOUT);
    certManager.mode(FakeCertManager.Mode.STALL);
    for (int i = 0; i < CertManagerBackend.MAX_WAITS; i++) {
      assertThatThrownBy(() -> first(attributes()))
          .extracting(e -> ((BackendException) e).kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
    }
    assertThat(certManager.created()).hasSize(1);
    assertThat(backend.remembered()).isZero();

    certManager.mode(FakeCertManager.Mode.ISSUE);
    first(attributes());

    assertThat(certManager.created()).hasSize(2);
  }

  @Test
  void stalledRequest_noFetchAsksForItForHalfAnHour_isForgottenAtTheNextOtherFetch() throws Exception {
    backend.close();
    backend = newBackend(STALL_TIMEOUT);
    certManager.mode(FakeCertManager.Mode.STALL);
    assertThatThrownBy(() -> first(attributes())).isInstanceOf(BackendException.class);
    certManager.mode(FakeCertManager.Mode.ISSUE);
    clock.advance(CertManagerBackend.FORGET_AFTER.plusSeconds(1));

    fetch(attributes(), request("csi-" + "ef".repeat(32)));

    assertThat(backend.remembered()).isZero();
  }
}
