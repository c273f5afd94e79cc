package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CertificateAttributesTest {

  private static Map<String, String> attributes(String... keyValues) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put(ISSUER_NAME, "ca-issuer");
    for (int i = 0; i < keyValues.length; i += 2) {
      attributes.put(keyValues[i], keyValues[i + 1]);
    }
    return attributes;
  }

  /** How messages name an attribute. */
  private static String named(String key) {
    return "volume attribute \"" + key + "\"";
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(Map<String, String> attributes) {
    return assertThatThrownBy(() -> CertificateAttributes.parse(attributes))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT));
  }

  @Test
  void parse_onlyIssuerName_appliesCsiDriverDefaults() throws Exception {
    CertificateAttributes parsed = CertificateAttributes.parse(attributes());

    assertThat(parsed.issuerKind()).isEqualTo("Issuer");
    assertThat(parsed.issuerGroup()).isEqualTo("cert-manager.io");
    assertThat(parsed.duration()).isEqualTo(Duration.ofHours(2160));
    assertThat(parsed.renewBefore()).isEmpty();
    assertThat(parsed.isCa()).isFalse();
    assertThat(parsed.usages()).containsExactly("digital signature", "key encipherment");
    // csi-driver's default key (issue 18 item 9): RSA 2048 in PKCS#1.
    assertThat(parsed.key()).isEqualTo(new KeySpec(KeySpec.Algorithm.RSA, 2048, KeySpec.Encoding.PKCS1));
    assertThat(parsed.reusePrivateKey()).isFalse();
    assertThat(parsed.certificateFile()).isEqualTo("tls.crt");
    assertThat(parsed.caFile()).isEqualTo("ca.crt");
    assertThat(parsed.privateKeyFile()).isEqualTo("tls.key");
    assertThat(parsed.fsGroup()).isEmpty();
    assertThat(parsed.pkcs12()).isEmpty();
    assertThat(parsed.annotations()).isEmpty();
  }

  @Test
  void parse_everyAttribute_isBound() throws Exception {
    CertificateAttributes parsed = CertificateAttributes.parse(attributes(
        ISSUER_KIND, "ClusterIssuer", ISSUER_GROUP, "example.org",
        COMMON_NAME, "${POD_NAME}", DNS_NAMES, "a.example.com, b.example.com",
        IP_SANS, "10.0.0.1", URI_SANS, "spiffe://td/ns/${POD_NAMESPACE}",
        DURATION, "1h30m", RENEW_BEFORE, "10m", IS_CA, "true",
        KEY_USAGES, "server auth,client auth", KEY_ALGORITHM, "rsa", KEY_SIZE, "3072",
        KEY_ENCODING, "pkcs8", REUSE_PRIVATE_KEY, "true",
        CERTIFICATE_FILE, "c.pem", CA_FILE, "ca.pem", PRIVATE_KEY_FILE, "k.pem",
        FS_GROUP, "2000", PKCS12_ENABLE, "true", PKCS12_FILENAME, "k.p12", PKCS12_PASSWORD, "pw",
        "policy.example.org/tier", "gold"));

    assertThat(parsed.issuerKind()).isEqualTo("ClusterIssuer");
    assertThat(parsed.issuerGroup()).isEqualTo("example.org");
    assertThat(parsed.templates().commonName()).contains("${POD_NAME}");
    assertThat(parsed.templates().dnsNames()).containsExactly("a.example.com", "b.example.com");
    assertThat(parsed.ipSans()).containsExactly("10.0.0.1");
    assertThat(parsed.templates().uriSans()).containsExactly("spiffe://td/ns/${POD_NAMESPACE}");
    assertThat(parsed.duration()).isEqualTo(Duration.ofMinutes(90));
    assertThat(parsed.renewBefore()).contains(Duration.ofMinutes(10));
    assertThat(parsed.isCa()).isTrue();
    assertThat(parsed.usages()).containsExactly("server auth", "client auth");
    assertThat(parsed.key()).isEqualTo(new KeySpec(KeySpec.Algorithm.RSA, 3072, KeySpec.Encoding.PKCS8));
    assertThat(parsed.reusePrivateKey()).isTrue();
    assertThat(List.of(parsed.certificateFile(), parsed.caFile(), parsed.privateKeyFile()))
        .containsExactly("c.pem", "ca.pem", "k.pem");
    assertThat(parsed.fsGroup()).isEqualTo(OptionalLong.of(2000));
    assertThat(parsed.pkcs12()).contains(new Pkcs12("k.p12", "pw"));
    assertThat(parsed.annotations()).containsExactly(Map.entry("policy.example.org/tier", "gold"));
    assertThat(parsed.toString()).doesNotContain("pw,").contains("<redacted>");
  }

  @Test
  void parse_rsaWithoutSizeOrEncoding_defaultsTo2048Pkcs1() throws Exception {
    assertThat(CertificateAttributes.parse(attributes(KEY_ALGORITHM, "RSA")).key())
        .isEqualTo(new KeySpec(KeySpec.Algorithm.RSA, 2048, KeySpec.Encoding.PKCS1));
  }

  @Test
  void parse_ed25519_hasNoSizeAndPkcs8() throws Exception {
    assertThat(CertificateAttributes.parse(attributes(KEY_ALGORITHM, "ed25519")).key())
        .isEqualTo(new KeySpec(KeySpec.Algorithm.Ed25519, 0, KeySpec.Encoding.PKCS8));
  }

  @Test
  void parse_missingIssuerName_isInvalidNamingIt() {
    assertInvalid(Map.of(DNS_NAMES, "a.example.com")).hasMessageContaining(named(ISSUER_NAME) + " is required");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "csi.cert-manager.io/is-ca|yes|use one of [false, true]",
      "csi.cert-manager.io/reuse-private-key|1|use one of [false, true]",
      "csi.cert-manager.io/duration|30d|must be a valid duration",
      "csi.cert-manager.io/renew-before|soon|must be a valid duration",
      "csi.cert-manager.io/key-usages|server auth,teleport|is \"teleport\"; not a cert-manager key usage",
      "csi.cert-manager.io/key-algorithm|DSA|use RSA, ECDSA or Ed25519",
      "csi.cert-manager.io/key-encoding|PEM|use PKCS1 or PKCS8",
      "csi.cert-manager.io/ip-sans|10.0.0.300|is \"10.0.0.300\"; not an IP address",
      "csi.cert-manager.io/streetaddresses|10 \"Downing\" Street|not valid CSV",
      "csi.cert-manager.io/organizations|\"Acme, Inc|not valid CSV",
      "csi.cert-manager.io/uri-sans|not a uri|not a valid URI",
      "csi.cert-manager.io/uri-sans|relative/path|not an absolute URI",
      "csi.cert-manager.io/fs-group|staff|write a whole number from 1 to 4294967295",
      "csi.cert-manager.io/fs-group|0|write a whole number from 1 to 4294967295",
      "csi.cert-manager.io/fs-group|4294967296|write a whole number from 1 to 4294967295",
      "csi.cert-manager.io/fs-group|2147483648|Passport supports group ids up to 2147483647",
      "csi.cert-manager.io/fs-group|4294967295|Passport supports group ids up to 2147483647",
      "csi.cert-manager.io/literal-subject|CN=x|not supported",
      "colour|blue|unknown volume attribute \"colour\"",
  })
  void parse_badValue_isInvalidNamingAttributeAndRule(String key, String value, String rule) {
    assertInvalid(attributes(key, value)).hasMessageContaining(key).hasMessageContaining(rule);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "RSA|1024||write a whole number from 2048 to 8192",
      "RSA|9000||write a whole number from 2048 to 8192",
      "RSA|big||write a whole number from 2048 to 8192",
      "ECDSA|big||use 256, 384 or 521",
      "ECDSA|224||use 256, 384 or 521",
      "ECDSA|256|PKCS1|cannot be used with ECDSA",
      "Ed25519|256||must be empty when using Ed25519",
      "Ed25519||PKCS1|cannot be used with Ed25519",
  })
  void parse_badKey_isInvalid(String algorithm, String size, String encoding, String rule) {
    Map<String, String> attributes = attributes(KEY_ALGORITHM, algorithm);
    if (size != null) {
      attributes.put(KEY_SIZE, size);
    }
    if (encoding != null) {
      attributes.put(KEY_ENCODING, encoding);
    }
    assertInvalid(attributes).hasMessageContaining(rule);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/etc/tls.crt", "../tls.crt", "..", "certs/tls.crt", " tls.crt", "tls.crt ", "."})
  void parse_badFileName_isInvalid(String name) {
    assertInvalid(attributes(CERTIFICATE_FILE, name)).hasMessageContaining(CERTIFICATE_FILE);
  }

  @Test
  void parse_fileNameLongerThan255_isInvalid() {
    assertInvalid(attributes(CA_FILE, "a".repeat(256))).hasMessageContaining("no longer than 255");
  }

  @Test
  void parse_collidingFileNames_isInvalidNamingBoth() {
    assertInvalid(attributes(CA_FILE, "tls.crt"))
        .hasMessageContaining(CA_FILE)
        .hasMessageContaining(CERTIFICATE_FILE)
        .hasMessageContaining("own name");
  }

  @Test
  void parse_keystoreNamedLikeTheKey_isInvalid() {
    assertInvalid(attributes(PKCS12_ENABLE, "true", PKCS12_PASSWORD, "pw", PKCS12_FILENAME, "tls.key"))
        .hasMessageContaining(PKCS12_FILENAME);
  }

  @Test
  void parse_pkcs12WithoutPassword_isInvalid() {
    assertInvalid(attributes(PKCS12_ENABLE, "true")).hasMessageContaining(named(PKCS12_PASSWORD) + " is required");
  }

  @Test
  void parse_pkcs12AttributesWithoutEnable_isInvalid() {
    assertInvalid(attributes(PKCS12_PASSWORD, "pw"))
        .hasMessageContaining(named(PKCS12_PASSWORD) + " cannot be used without " + PKCS12_ENABLE);
  }

  @Test
  void parse_pkcs12EnableNotBoolean_isInvalid() {
    assertInvalid(attributes(PKCS12_ENABLE, "yes", PKCS12_PASSWORD, "pw"))
        .hasMessageContaining(PKCS12_ENABLE);
  }

  @Test
  void parse_pkcs12Defaults_toKeystoreP12() throws Exception {
    assertThat(CertificateAttributes.parse(attributes(PKCS12_ENABLE, "true", PKCS12_PASSWORD, "pw"))
        .pkcs12()).contains(new Pkcs12("keystore.p12", "pw"));
  }

  @Test
  void parse_pkcs12BadValue_neverPrintsThePassword() {
    assertInvalid(attributes(PKCS12_ENABLE, "maybe", PKCS12_PASSWORD, "hunter2"))
        .message().doesNotContain("hunter2");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "csi.cert-manager.io/common-name|${POD_IP}",
      "csi.cert-manager.io/dns-names|a.example.com,$NODE_NAME.example.com",
      "csi.cert-manager.io/uri-sans|spiffe://td/${POD_SERVICE_ACCOUNT}",
      "csi.cert-manager.io/organizations|${TEAM}",
  })
  void parse_unknownVariable_isInvalidNamingItAndTheKnownOnes(String key, String value) {
    assertInvalid(attributes(key, value))
        .hasMessageContaining(key)
        .hasMessageContaining("undefined variable")
        .hasMessageContaining("POD_NAME, POD_NAMESPACE, POD_UID, SERVICE_ACCOUNT_NAME");
  }

  @Test
  void parse_severalProblems_areAllReported() {
    assertInvalid(Map.of(IS_CA, "maybe", DURATION, "forever"))
        .hasMessageContaining(ISSUER_NAME)
        .hasMessageContaining(IS_CA)
        .hasMessageContaining(DURATION);
  }

  @Test
  void parse_emptyValues_countAsUnset() throws Exception {
    CertificateAttributes parsed = CertificateAttributes.parse(attributes(DURATION, "", KEY_USAGES, ""));
    assertThat(parsed.duration()).isEqualTo(DEFAULT_DURATION);
    assertThat(parsed.renewBefore()).isEqualTo(Optional.empty());
  }

  @Test
  void parse_fsGroupAtTheIntLimit_isAccepted() throws Exception {
    assertThat(CertificateAttributes.parse(attributes(FS_GROUP, "2147483647")).fsGroup())
        .isEqualTo(OptionalLong.of(Integer.MAX_VALUE));
  }

  @Test
  void parse_nodeDefaultEcdsa_rsaKeySizeWithoutAlgorithm_isInvalidNamingTheNodeDefault() {
    assertThatThrownBy(() -> CertificateAttributes.parse(attributes(KEY_SIZE, "4096"),
        KeySpec.Algorithm.ECDSA, warning -> {}))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("this node's default key algorithm is ECDSA")
        .hasMessageContaining(KEY_ALGORITHM + ": RSA");
  }

  @Test
  void parse_pkcs12Profile_isReadOnlyWithPkcs12Enable() throws Exception {
    assertThat(CertificateAttributes.parse(attributes(PKCS12_ENABLE, "true", PKCS12_PASSWORD, "pw",
        PKCS12_PROFILE, "Modern2023")).pkcs12())
        .contains(new Pkcs12("keystore.p12", "pw", Pkcs12Profile.Modern2023));
    assertInvalid(attributes(PKCS12_ENABLE, "true", PKCS12_PASSWORD, "pw", PKCS12_PROFILE, "AES"))
        .hasMessageContaining(PKCS12_PROFILE).hasMessageContaining("LegacyRC2");
    assertInvalid(attributes(PKCS12_PROFILE, "LegacyDES")).hasMessageContaining(PKCS12_ENABLE);
  }

  @Test
  void parse_ecdsaSizeWithSign_isAcceptedAsGosAtoiDoes() throws Exception {
    assertThat(CertificateAttributes.parse(attributes(KEY_ALGORITHM, "ECDSA", KEY_SIZE, "+384")).key())
        .isEqualTo(new KeySpec(KeySpec.Algorithm.ECDSA, 384, KeySpec.Encoding.PKCS8));
  }

  @Test
  void parse_prefixedAttributeOutsideCsiDriver_isAnAnnotationEvenWhenEmpty() throws Exception {
    assertThat(CertificateAttributes.parse(attributes("approver.example.org/team", "")).annotations())
        .containsExactly(Map.entry("approver.example.org/team", ""));
  }

  @Test
  void parse_sameAttributesTwice_givesEqualVolumesThatNeedTheApiServerAudience() throws Exception {
    Map<String, String> attributes = attributes(DNS_NAMES, "${POD_NAME}.svc", PKCS12_ENABLE, "true",
        PKCS12_PASSWORD, "pw", "approver.example.org/team", "a");

    CertificateAttributes first = CertificateAttributes.parse(attributes);

    assertThat(CertificateAttributes.parse(attributes)).isEqualTo(first);
    assertThat(first.audiences()).containsExactly("");
  }

  // --- durations: Go's syntax as csi-driver reads duration and renew-before, ISO-8601 too ------
  // (the cases the plugin's own Go-duration test had beyond plugin-support's DurationsTest)

  @ParameterizedTest
  @CsvSource({
      "2h45m30.5s, PT2H45M30.5S, 2h45m30.5s",
      "-1m, PT-1M, -1m0s",
      "10ns, PT0.00000001S, 10ns",
      "1h30m, PT1H30M, 1h30m0s",
      "45s, PT45S, 45s",
      "PT1H30M, PT1H30M, 1h30m0s",
      "P1D, PT24H, 24h0m0s",
  })
  void parse_durationInGoOrIsoSyntax_isBoundAndRequestedInGosForm(String text, String iso,
      String go) throws Exception {
    CertificateAttributes parsed = CertificateAttributes.parse(attributes(
        DURATION, text, RENEW_BEFORE, text));

    assertThat(parsed.duration()).isEqualTo(Duration.parse(iso));
    assertThat(parsed.renewBefore()).contains(Duration.parse(iso));
    assertThat(CertManagerBackend.spec(parsed, new byte[0]).get("duration")).isEqualTo(go);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h", "30", "30d", "1h30", "1..5h", "1 h", "-"})
  void parse_durationInNeitherSyntax_isInvalidNamingTheAttribute(String text) {
    assertInvalid(attributes(DURATION, text, RENEW_BEFORE, text))
        .hasMessageContaining(named(DURATION) + " is \"" + text + "\"; must be a valid duration")
        .hasMessageContaining(named(RENEW_BEFORE) + " is \"" + text + "\"; must be a valid duration");
  }
}
