package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CertManagerBackendTest {

  private static final String VOLUME_ID =
      "csi-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private static final Instant START = BackendOnFakeCertManager.START;

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);
  /**
   * P-256 keys where a volume names no key algorithm: RSA key generation was most of this class's
   * time. The tests of csi-driver's RSA default make a backend without it.
   */
  @RegisterExtension final BackendOnFakeCertManager onFake = BackendOnFakeCertManager.withConfig(
      Map.of("timeout", "10s", "defaultKeyAlgorithm", "ECDSA"));

  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private ServiceAccountToken token;
  private Backend<CertificateAttributes> backend;

  @BeforeEach
  void start() {
    token = tokens.token(pod, "", START, Duration.ofHours(1));
    backend = onFake.backend();
  }

  private static Map<String, String> attributes(String... keyValues) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put(ISSUER_NAME, "ca-issuer");
    for (int i = 0; i < keyValues.length; i += 2) {
      attributes.put(keyValues[i], keyValues[i + 1]);
    }
    return attributes;
  }

  private FetchRequest.Builder request(Instant deadline) {
    return FetchRequest.builder().volumeId(VOLUME_ID).pod(pod).tokens(Map.of("", token))
        .deadline(deadline);
  }

  /** Prepares the volume and fetches it, as the host does on a publish. */
  private Material fetch(Map<String, String> attributes, Optional<Material> previous)
      throws BackendException {
    return backend.fetch(backend.prepare(attributes),
        request(onFake.clock.instant().plus(Duration.ofMinutes(2))).previous(previous).build());
  }

  private Material fetch(Map<String, String> attributes, Material previous,
      FetchRequest.Reason reason) throws BackendException {
    return backend.fetch(backend.prepare(attributes),
        request(onFake.clock.instant().plus(Duration.ofMinutes(2))).previous(Optional.of(previous))
            .reason(reason).build());
  }

  private Material fetch(Map<String, String> attributes) throws BackendException {
    return fetch(attributes, Optional.empty());
  }

  private static X509Certificate certificate(Material material, String file) {
    return IssuedCertificate.parse(material.file(file).orElseThrow().content()).orElseThrow().leaf();
  }

  private static KeyPair key(Material material, String file) {
    return KeySpec.decode(material.file(file).orElseThrow().content()).orElseThrow();
  }

  private static String text(Material material, String file) {
    return new String(material.file(file).orElseThrow().content(), StandardCharsets.US_ASCII);
  }

  private GenericKubernetesResource onlyRequest() {
    assertThat(onFake.certManager.created()).hasSize(1);
    return onFake.certManager.created().get(0);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource request) {
    return (Map<String, Object>) request.getAdditionalProperties().get("spec");
  }

  private static List<String> sans(PKCS10CertificationRequest csr, int tag) {
    Extension extension = csr.getRequestedExtensions().getExtension(Extension.subjectAlternativeName);
    if (extension == null) {
      return List.of();
    }
    return Arrays.stream(GeneralNames.getInstance(extension.getParsedValue()).getNames())
        .filter(name -> name.getTagNo() == tag)
        .map(name -> tag == GeneralName.iPAddress
            ? ipText(name)
            : name.getName().toString())
        .toList();
  }

  private static String ipText(GeneralName name) {
    try {
      byte[] bytes = DEROctetString.getInstance(name.getName()).getOctets();
      return InetAddress.getByAddress(bytes).getHostAddress();
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static String rdn(PKCS10CertificationRequest csr, ASN1ObjectIdentifier oid) {
    return Arrays.stream(csr.getSubject().getRDNs(oid))
        .map(rdn -> IETFUtils.valueToString(rdn.getFirst().getValue()))
        .reduce((a, b) -> a + "," + b).orElse(null);
  }

  // --- issuance and files ---------------------------------------------------------------------

  @Test
  void fetch_issuedRequestWithoutAnyGroup_writesCertificateKeyAndCaInTheHostsDefaultMode() throws Exception {
    Material material = fetch(attributes(DNS_NAMES, "web.example.com"));

    assertThat(material.files()).extracting(MaterialFile::path)
        .containsExactlyInAnyOrder("tls.crt", "tls.key", "ca.crt");
    assertThat(material.files()).allSatisfy(file -> assertThat(file.chosenMode()).isEmpty());
    assertThat(material.group()).isEmpty();
    X509Certificate leaf = certificate(material, "tls.crt");
    assertThat(leaf.getPublicKey()).isEqualTo(key(material, "tls.key").getPublic());
    assertThat(certificate(material, "ca.crt")).isEqualTo(onFake.certManager.caCertificate());
    assertThat(material.expiresAt()).contains(leaf.getNotAfter().toInstant());
    assertThat(material.version()).contains(onlyRequest().getMetadata().getName());
  }

  @Test
  void fetch_createCall_carriesThePodTokenAsBearer() throws Exception {
    onFake.certManager.takeRequests();

    fetch(attributes(DNS_NAMES, "web.example.com"));

    List<RecordedRequest> creates = onFake.certManager.takeRequests().stream()
        .filter(r -> r.getMethod().equals("POST") && r.getPath().contains("/certificaterequests"))
        .toList();
    assertThat(creates).hasSize(1);
    assertThat(creates.get(0).getPath())
        .startsWith("/apis/cert-manager.io/v1/namespaces/team-a/certificaterequests");
    // A boolean, so that a failure report does not print the token.
    assertThat(creates.get(0).getHeader("Authorization").equals("Bearer " + token.token()))
        .as("the create call's Authorization is the pod's token").isTrue();
  }

  @Test
  void fetch_everyPluginCall_isMadeAsThePod() throws Exception {
    onFake.certManager.takeRequests();
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com");
    Material first = fetch(attributes);
    onFake.clock.set(first.refreshAt().orElseThrow());

    fetch(attributes, Optional.of(first));

    List<String> pluginAuthorizations = onFake.certManager.takeRequests().stream()
        .map(r -> r.getHeader("Authorization"))
        .filter(header -> !("Bearer " + FakeCertManager.SIGNER_TOKEN).equals(header))
        .toList();
    assertThat(pluginAuthorizations).isNotEmpty();
    assertThat(pluginAuthorizations.stream().allMatch(("Bearer " + token.token())::equals))
        .as("every plugin call carries the pod's token").isTrue();
  }

  @Test
  void fetch_createdRequest_hasIssuerRefDurationUsagesIsCaOwnerAndLabels() throws Exception {
    fetch(attributes(DNS_NAMES, "web.example.com", ISSUER_KIND, "ClusterIssuer",
        ISSUER_GROUP, "example.org", DURATION, "48h", IS_CA, "true",
        KEY_USAGES, "server auth, client auth", "approver.example.org/team", "a"));

    GenericKubernetesResource request = onlyRequest();
    assertThat(request.getApiVersion()).isEqualTo("cert-manager.io/v1");
    assertThat(request.getKind()).isEqualTo("CertificateRequest");
    assertThat(request.getMetadata().getNamespace()).isEqualTo("team-a");
    Map<String, Object> spec = spec(request);
    assertThat(spec.get("issuerRef"))
        .isEqualTo(Map.of("name", "ca-issuer", "kind", "ClusterIssuer", "group", "example.org"));
    assertThat(spec.get("duration")).isEqualTo("48h0m0s");
    assertThat(spec.get("usages")).isEqualTo(List.of("server auth", "client auth"));
    assertThat(spec.get("isCA")).isEqualTo(true);
    OwnerReference owner = request.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getApiVersion()).isEqualTo("v1");
    assertThat(owner.getKind()).isEqualTo("Pod");
    assertThat(owner.getName()).isEqualTo("web-0");
    assertThat(owner.getUid()).isEqualTo(pod.uid());
    assertThat(owner.getBlockOwnerDeletion()).isNull();
    assertThat(request.getMetadata().getLabels())
        .containsEntry(CertManagerBackend.NODE_LABEL, "node-1")
        .containsEntry(CertManagerBackend.VOLUME_LABEL, CertManagerBackend.labelValue(VOLUME_ID));
    assertThat(CertManagerBackend.labelValue(VOLUME_ID)).hasSize(63);
    assertThat(request.getMetadata().getAnnotations())
        .containsEntry(CertManagerBackend.VOLUME_ID_ANNOTATION, VOLUME_ID)
        .containsEntry("approver.example.org/team", "a");
  }

  @Test
  void fetch_defaults_matchCsiDriver() throws Exception {
    backend.close();
    backend = onFake.newBackend(Map.of("timeout", "10s")); // the plugin's own default key
    Material material = fetch(attributes(DNS_NAMES, "web.example.com"));

    Map<String, Object> spec = spec(onlyRequest());
    assertThat(spec.get("issuerRef"))
        .isEqualTo(Map.of("name", "ca-issuer", "kind", "Issuer", "group", "cert-manager.io"));
    assertThat(spec.get("duration")).isEqualTo("2160h0m0s");
    assertThat(spec.get("usages")).isEqualTo(List.of("digital signature", "key encipherment"));
    assertThat(spec.get("isCA")).isEqualTo(false);
    // csi-driver's default key (issue 18 item 9): RSA 2048 in PKCS#1.
    assertThat(key(material, "tls.key").getPublic()).isInstanceOfSatisfying(RSAPublicKey.class,
        rsa -> assertThat(rsa.getModulus().bitLength()).isEqualTo(2048));
    assertThat(text(material, "tls.key")).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    // Renewal at 2/3 of the 90-day lifetime.
    assertThat(material.refreshAt()).contains(START.plus(Duration.ofDays(60)));
  }

  @Test
  void fetch_templates_expandPodVariablesInCommonNameDnsNamesAndUriSans() throws Exception {
    fetch(attributes(
        COMMON_NAME, "${SERVICE_ACCOUNT_NAME}.${POD_NAMESPACE}",
        DNS_NAMES, "${POD_NAME}.${POD_NAMESPACE}.svc.cluster.local, $POD_NAME.local",
        URI_SANS, "spiffe://cluster.local/ns/${POD_NAMESPACE}/pod/${POD_NAME}/${POD_UID}",
        IP_SANS, "10.0.0.7,fd00::1",
        ORGANIZATIONS, "Example ${POD_NAMESPACE}",
        COUNTRIES, "NL"));

    PKCS10CertificationRequest csr = onFake.certManager.csr(onlyRequest().getMetadata().getName());
    assertThat(rdn(csr, BCStyle.CN)).isEqualTo("web.team-a");
    assertThat(rdn(csr, BCStyle.O)).isEqualTo("Example team-a");
    assertThat(rdn(csr, BCStyle.C)).isEqualTo("NL");
    assertThat(sans(csr, GeneralName.dNSName))
        .containsExactly("web-0.team-a.svc.cluster.local", "web-0.local");
    assertThat(sans(csr, GeneralName.uniformResourceIdentifier))
        .containsExactly("spiffe://cluster.local/ns/team-a/pod/web-0/" + pod.uid());
    assertThat(sans(csr, GeneralName.iPAddress)).containsExactly("10.0.0.7", "fd00:0:0:0:0:0:0:1");
  }

  @Test
  void prepare_unknownVariable_isInvalidArgumentBeforeAnyRequest() {
    assertThatThrownBy(() -> fetch(attributes(DNS_NAMES, "${POD_IP}.example.com")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining(DNS_NAMES)
        .hasMessageContaining("POD_IP")
        .extracting(e -> ((BackendException) e).kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(onFake.certManager.created()).isEmpty();
  }

  @Test
  void fetch_customFileNames_nameTheFiles() throws Exception {
    Material material = fetch(attributes(DNS_NAMES, "web.example.com",
        CERTIFICATE_FILE, "cert.pem", PRIVATE_KEY_FILE, "key.pem", CA_FILE, "root.pem"));

    assertThat(material.files()).extracting(MaterialFile::path)
        .containsExactlyInAnyOrder("cert.pem", "key.pem", "root.pem");
  }

  @ParameterizedTest
  @CsvSource({
      "RSA, 2048, , RSA PRIVATE KEY",
      "rsa, 3072, PKCS8, PRIVATE KEY",
      "RSA, 4096, pkcs1, RSA PRIVATE KEY",
      "ECDSA, 256, , PRIVATE KEY",
      "ECDSA, 384, , PRIVATE KEY",
      "ECDSA, 521, PKCS8, PRIVATE KEY",
      "Ed25519, , , PRIVATE KEY",
  })
  void fetch_keyAlgorithm_generatesThatKeyInThatEncoding(String algorithm, String size,
      String encoding, String pemType) throws Exception {
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com", KEY_ALGORITHM, algorithm);
    if (size != null) {
      attributes.put(KEY_SIZE, size);
    }
    if (encoding != null) {
      attributes.put(KEY_ENCODING, encoding);
    }

    Material material = fetch(attributes);

    assertThat(text(material, "tls.key")).startsWith("-----BEGIN " + pemType + "-----");
    KeyPair key = key(material, "tls.key");
    assertThat(certificate(material, "tls.crt").getPublicKey().getEncoded())
        .isEqualTo(key.getPublic().getEncoded());
    if (algorithm.equalsIgnoreCase("RSA")) {
      assertThat(((RSAPublicKey) key.getPublic()).getModulus().bitLength()).isEqualTo(Integer.parseInt(size));
    } else if (algorithm.equals("ECDSA")) {
      assertThat(((ECPublicKey) key.getPublic()).getParams().getCurve().getField().getFieldSize())
          .isEqualTo(Integer.parseInt(size));
    } else {
      assertThat(key.getPublic().getAlgorithm()).isIn("Ed25519", "EdDSA");
    }
  }

  @Test
  void fetch_pkcs12Enabled_writesAKeystoreOfKeyAndChain() throws Exception {
    Material material = fetch(attributes(DNS_NAMES, "web.example.com",
        PKCS12_ENABLE, "true", PKCS12_PASSWORD, "changeit"));

    assertThat(material.file("keystore.p12")).isPresent();
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(new ByteArrayInputStream(material.file("keystore.p12").get().content()),
        "changeit".toCharArray());
    // go-pkcs12 writes no friendly name; the JDK names the one entry itself.
    String alias = store.aliases().nextElement();
    assertThat(store.getCertificate(alias)).isEqualTo(certificate(material, "tls.crt"));
    assertThat(store.getKey(alias, "changeit".toCharArray()).getEncoded())
        .isEqualTo(key(material, "tls.key").getPrivate().getEncoded());
  }

  @Test
  void fetch_pkcs12Disabled_writesNoKeystore() throws Exception {
    Material material = fetch(attributes(DNS_NAMES, "web.example.com",
        PKCS12_ENABLE, "false", PKCS12_FILENAME, "app.p12", PKCS12_PASSWORD, "changeit"));

    assertThat(material.files()).extracting(MaterialFile::path)
        .containsExactlyInAnyOrder("tls.crt", "tls.key", "ca.crt");
  }

  // --- decisions -------------------------------------------------------------------------------

  @Test
  void fetch_deniedRequest_isPermissionDeniedQuotingTheCondition() {
    onFake.certManager.mode(FakeCertManager.Mode.DENY, "team-a may not request *.example.com");

    assertThatThrownBy(() -> fetch(attributes(DNS_NAMES, "web.example.com")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("was denied")
        .hasMessageContaining("team-a may not request *.example.com")
        .hasMessageContaining("team-a/passport-")
        .extracting(e -> ((BackendException) e).kind()).isEqualTo(Kind.PERMISSION_DENIED);
  }

  @Test
  void fetch_failedRequest_isFailedPreconditionQuotingTheCondition() {
    onFake.certManager.mode(FakeCertManager.Mode.FAIL, "issuer ca-issuer not found");

    assertThatThrownBy(() -> fetch(attributes(DNS_NAMES, "web.example.com")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("failed (Failed): issuer ca-issuer not found")
        .extracting(e -> ((BackendException) e).kind()).isEqualTo(Kind.FAILED_PRECONDITION);
  }

  @Test
  void fetch_afterDenial_nextAttemptCreatesAFreshRequestAndDeletesTheDeniedOne() throws Exception {
    onFake.certManager.mode(FakeCertManager.Mode.DENY, "no");
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com");
    assertThatThrownBy(() -> fetch(attributes)).isInstanceOf(BackendException.class);
    onFake.certManager.mode(FakeCertManager.Mode.ISSUE);

    Material material = fetch(attributes);

    assertThat(onFake.certManager.created()).hasSize(2);
    assertThat(onFake.certManager.existing("team-a")).containsExactly(material.version().orElseThrow());
  }

  @Test
  void fetch_stalledIssuer_timesOutThenResumesTheSameRequestAndKey() throws Exception {
    onFake.certManager.mode(FakeCertManager.Mode.STALL);
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com");

    assertThatThrownBy(() -> backend.fetch(backend.prepare(attributes),
            request(onFake.clock.instant().plus(BackendOnFakeCertManager.STALL_WAIT)).build()))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("has not issued")
        .extracting(e -> ((BackendException) e).kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
    String pending = onlyRequest().getMetadata().getName();
    onFake.certManager.issueUndecided("team-a");

    Material material = fetch(attributes);

    assertThat(onFake.certManager.created()).hasSize(1);
    assertThat(material.version()).contains(pending);
    assertThat(certificate(material, "tls.crt").getPublicKey()).isEqualTo(key(material, "tls.key").getPublic());
  }

  @Test
  void fetch_deadlineSoonerThanTimeout_boundsTheWait() throws Exception {
    onFake.certManager.mode(FakeCertManager.Mode.STALL);
    CertificateAttributes volume = backend.prepare(attributes(DNS_NAMES, "web.example.com"));
    FetchRequest request = request(onFake.clock.instant().plusMillis(200)).build();

    assertThatThrownBy(() -> backend.fetch(volume, request))
        .isInstanceOf(BackendException.class)
        .extracting(e -> ((BackendException) e).kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
  }

  @Test
  void fetch_deadlinePassed_failsWithoutCreatingARequest() throws Exception {
    CertificateAttributes volume = backend.prepare(attributes(DNS_NAMES, "web.example.com"));
    FetchRequest request = request(onFake.clock.instant()).build();

    assertThatThrownBy(() -> backend.fetch(volume, request))
        .extracting(e -> ((BackendException) e).kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
    assertThat(onFake.certManager.created()).isEmpty();
  }

  @Test
  void fetch_noTokenForTheApiServerAudience_isUnauthenticated() throws Exception {
    CertificateAttributes volume = backend.prepare(attributes(DNS_NAMES, "a.b"));
    FetchRequest request = request(onFake.clock.instant().plusSeconds(60)).tokens(Map.of()).build();

    assertThatThrownBy(() -> backend.fetch(volume, request))
        .extracting(e -> ((BackendException) e).kind()).isEqualTo(Kind.UNAUTHENTICATED);
  }

  // --- renewal ---------------------------------------------------------------------------------

  @Test
  void fetch_afterHostRestartBeforeRenewalTime_returnsTheVolumesFilesWithoutAnApiCall() throws Exception {
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com");
    Material first = fetch(attributes);
    onFake.clock.set(first.refreshAt().orElseThrow().minusSeconds(1));
    onFake.certManager.takeRequests();
    // As after a host restart: the material read back from the volume, without timing.
    Material readBack = Material.of(first.files());

    Material again = fetch(attributes, readBack, FetchRequest.Reason.RECOVERED);

    assertThat(again.files()).isEqualTo(first.files());
    assertThat(again.refreshAt()).isEqualTo(first.refreshAt());
    assertThat(onFake.certManager.takeRequests()).isEmpty();
    assertThat(onFake.certManager.created()).hasSize(1);
  }

  @Test
  void fetch_afterHostRestartPastRenewalTime_issuesANewCertificate() throws Exception {
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com");
    Material first = fetch(attributes);
    onFake.clock.set(first.refreshAt().orElseThrow());

    Material renewed = fetch(attributes, Material.of(first.files()), FetchRequest.Reason.RECOVERED);

    assertThat(onFake.certManager.created()).hasSize(2);
    assertThat(renewed.version()).isNotEqualTo(first.version());
  }

  @Test
  void republish_dueByTheHostsJitteredSchedule_renewsEvenBeforeRefreshAt() throws Exception {
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com");
    Material first = fetch(attributes);
    onFake.clock.set(first.refreshAt().orElseThrow().minus(Duration.ofDays(2)));

    fetch(attributes, Optional.of(first));

    assertThat(onFake.certManager.created()).hasSize(2);
  }

  @Test
  void republish_atRenewalTime_swapsKeyAndCertificateTogetherAndDeletesTheOldRequest() throws Exception {
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com", DURATION, "24h");
    Material first = fetch(attributes);
    assertThat(first.refreshAt()).contains(START.plus(Duration.ofHours(16)));
    onFake.clock.set(first.refreshAt().orElseThrow());

    Material renewed = fetch(attributes, Optional.of(first));

    X509Certificate newLeaf = certificate(renewed, "tls.crt");
    assertThat(newLeaf).isNotEqualTo(certificate(first, "tls.crt"));
    assertThat(key(renewed, "tls.key").getPublic()).isNotEqualTo(key(first, "tls.key").getPublic());
    assertThat(newLeaf.getPublicKey()).isEqualTo(key(renewed, "tls.key").getPublic());
    assertThat(newLeaf.getNotBefore().toInstant()).isEqualTo(first.refreshAt().orElseThrow());
    assertThat(renewed.refreshAt()).contains(START.plus(Duration.ofHours(32)));
    assertThat(onFake.certManager.existing("team-a")).containsExactly(renewed.version().orElseThrow());
  }

  @Test
  void renewBefore_shorterThanLifetime_setsRefreshAtThatLongBeforeExpiry() throws Exception {
    Material material = fetch(attributes(DNS_NAMES, "web.example.com", DURATION, "24h",
        RENEW_BEFORE, "1h"));

    assertThat(material.refreshAt()).contains(START.plus(Duration.ofHours(23)));
    assertThat(material.expiresAt()).contains(START.plus(Duration.ofHours(24)));
  }

  @Test
  void renewBefore_notShorterThanLifetime_fallsBackToTwoThirds() throws Exception {
    Material material = fetch(attributes(DNS_NAMES, "web.example.com", DURATION, "3h",
        RENEW_BEFORE, "5h"));

    assertThat(material.refreshAt()).contains(START.plus(Duration.ofHours(2)));
  }

  @ParameterizedTest
  @CsvSource({"RSA, PKCS1", "RSA, PKCS8", "ECDSA, PKCS8", "Ed25519, PKCS8"})
  void reusePrivateKey_onRenewal_keepsTheKeyFromThePreviousMaterial(String algorithm,
      String encoding) throws Exception {
    Map<String, String> attributes = attributes(DNS_NAMES, "web.example.com",
        KEY_ALGORITHM, algorithm, KEY_ENCODING, encoding, REUSE_PRIVATE_KEY, "true");
    Material first = fetch(attributes);
    onFake.clock.set(first.refreshAt().orElseThrow());

    Material renewed = fetch(attributes, Optional.of(Material.of(first.files())));

    assertThat(certificate(renewed, "tls.crt")).isNotEqualTo(certificate(first, "tls.crt"));
    assertThat(renewed.file("tls.key")).isEqualTo(first.file("tls.key"));
    assertThat(certificate(renewed, "tls.crt").getPublicKey()).isEqualTo(key(first, "tls.key").getPublic());
  }

  @Test
  void reusePrivateKey_previousKeyOfAnotherAlgorithm_generatesANewKey() throws Exception {
    Material first = fetch(attributes(DNS_NAMES, "web.example.com", KEY_ALGORITHM, "RSA"));
    onFake.clock.set(first.refreshAt().orElseThrow());
    Map<String, String> ecdsa = attributes(DNS_NAMES, "web.example.com", REUSE_PRIVATE_KEY, "true",
        KEY_ALGORITHM, "ECDSA");

    Material renewed = fetch(ecdsa, Optional.of(first));

    assertThat(key(renewed, "tls.key").getPublic()).isInstanceOf(ECPublicKey.class);
  }

  @Test
  void prepare_unknownCsiDriverKey_isAcceptedWithOneWarningNamingItAndTheKnownKeys() throws Exception {
    backend.prepare(attributes(DNS_NAMES, "web.example.com",
        "csi.cert-manager.io/dns-name", "typo.example.com"));

    assertThat(logs.lines()).filteredOn(line -> line.contains("csi.cert-manager.io/dns-name"))
        .singleElement().satisfies(line -> assertThat(line)
            .contains(DNS_NAMES).contains(ISSUER_NAME).doesNotContain("typo.example.com"));
  }

  @Test
  void fetch_operatorDefaultKeyAlgorithmEcdsa_volumeWithoutKeyAlgorithm_getsP256() throws Exception {
    backend.close();
    backend = onFake.newBackend(Map.of("timeout", "10s", "defaultKeyAlgorithm", "ECDSA"));

    Material material = fetch(attributes(DNS_NAMES, "web.example.com"));

    assertThat(key(material, "tls.key").getPublic()).isInstanceOf(ECPublicKey.class);
    assertThat(text(material, "tls.key")).startsWith("-----BEGIN PRIVATE KEY-----");
  }

  // --- hygiene ---------------------------------------------------------------------------------

  @Test
  void close_leavesNoNonDaemonThreadRunning() throws Exception {
    Set<Thread> before = nonDaemonThreads();

    fetch(attributes(DNS_NAMES, "web.example.com"));
    backend.close();
    onFake.certManager.close();

    // The fake API server starts non-daemon threads of its own; once it is closed too, every
    // non-daemon thread that appeared during the test must end.
    Set<Thread> appeared = nonDaemonThreads();
    appeared.removeAll(before);
    for (Thread thread : appeared) {
      thread.join(Duration.ofSeconds(10).toMillis());
    }
    assertThat(appeared).filteredOn(Thread::isAlive).extracting(Thread::getName).isEmpty();
  }

  private static Set<Thread> nonDaemonThreads() {
    Set<Thread> threads = new HashSet<>(Thread.getAllStackTraces().keySet());
    threads.removeIf(thread -> thread.isDaemon() || !thread.isAlive());
    return threads;
  }

  @Test
  void failures_neverCarryThePodToken() {
    onFake.certManager.mode(FakeCertManager.Mode.DENY, "denied");

    Throwable thrown = org.junit.jupiter.api.Assertions.assertThrows(BackendException.class,
        () -> fetch(attributes(DNS_NAMES, "web.example.com")));

    LogHygiene.assertNoSecrets(tokens.minted(), thrown);
  }

  @Test
  void prepare_needsTheApiServerAudience_andValidatesAttributes() throws Exception {
    assertThat(backend.prepare(attributes(DNS_NAMES, "a.example.com")).audiences())
        .containsExactly("");
    assertThatThrownBy(() -> backend.prepare(Map.of(DNS_NAMES, "a.example.com")))
        .hasMessageContaining(ISSUER_NAME);
  }
}
