package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.testkit.Pods;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.EncryptedData;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS12PfxPdu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A csi-driver pod spec copied over, through the real host and CSI socket, against fabric8's mock
 * API server and the test signer (issue 18, "Done when"): every csi-driver v0.16 attribute with an
 * example value of its documentation, then the files and the CertificateRequest checked against
 * what csi-driver would have written and sent. fs-group is the host's (issue 18 item 3/4/8 work).
 */
class CertManagerCsiDriverParityHostTest {

  @TempDir Path dir;
  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private CertManagerOnHost onHost;
  private FakeCertManager certManager;
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    onHost = CertManagerOnHost.start(dir);
    certManager = onHost.certManager;
    kubelet = onHost.kubelet;
  }

  @AfterEach
  void stop() {
    onHost.close();
  }

  private PodVolume volume(String name, Map<String, String> csiDriverAttributes) {
    return onHost.volume(pod, name, csiDriverAttributes);
  }

  /** Every csi-driver attribute but fs-group and literal-subject, with documented example values. */
  private static Map<String, String> everyAttribute() {
    Map<String, String> a = new HashMap<>();
    a.put(ISSUER_NAME, "ca-issuer");
    a.put(ISSUER_KIND, "ClusterIssuer");
    a.put(ISSUER_GROUP, "cert-manager.io");
    a.put(COMMON_NAME, "${SERVICE_ACCOUNT_NAME}.${POD_NAMESPACE}");
    a.put(DNS_NAMES, "${POD_NAME}.${POD_NAMESPACE}.svc.cluster.local,${POD_NAME}.${POD_NAMESPACE}");
    a.put(IP_SANS, "192.0.2.10,::ffff:192.0.2.11,2001:db8::1");
    a.put(URI_SANS, "spiffe://cluster.local/ns/${POD_NAMESPACE}/pod/${POD_NAME}/${POD_UID}");
    a.put(ORGANIZATIONS, "\"Acme, Inc.\",Acme Labs");
    a.put(ORGANIZATIONAL_UNITS, "Platform");
    a.put(COUNTRIES, "GB");
    a.put(PROVINCES, "England");
    a.put(LOCALITIES, "London");
    a.put(STREET_ADDRESSES, "\"10 Downing Street, Westminster\",Manchester");
    a.put(POSTAL_CODES, "SW1A 2AA");
    a.put(SERIAL_NUMBER, "1234");
    a.put(DURATION, "72h");
    a.put(RENEW_BEFORE, "24h");
    a.put(IS_CA, "false");
    a.put(KEY_USAGES, "server auth,client auth");
    a.put(KEY_SIZE, "2048");          // no key-algorithm: csi-driver's default, RSA
    a.put(KEY_ENCODING, "PKCS8");
    a.put(REUSE_PRIVATE_KEY, "false");
    a.put(CERTIFICATE_FILE, "crt.pem");
    a.put(CA_FILE, "ca.pem");
    a.put(PRIVATE_KEY_FILE, "key.pem");
    a.put(PKCS12_ENABLE, "true");
    a.put(PKCS12_FILENAME, "keystore.p12");
    a.put(PKCS12_PASSWORD, "my-password");
    a.put("csi.cert-manager.io/not-an-attribute", "ignored as csi-driver ignores it");
    return a;
  }

  private static PKCS10CertificationRequest csrOf(GenericKubernetesResource request) throws Exception {
    Map<?, ?> spec = (Map<?, ?>) request.getAdditionalProperties().get("spec");
    String pem = new String(java.util.Base64.getDecoder().decode((String) spec.get("request")),
        java.nio.charset.StandardCharsets.US_ASCII);
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      return (PKCS10CertificationRequest) parser.readObject();
    }
  }

  @Test
  void mount_everyCsiDriverAttribute_filesAndCertificateRequestAreCsiDrivers() throws Exception {
    MountedVolume mounted = kubelet.mount(volume("tls", everyAttribute()));

    // Files: csi-driver's names from the attributes.
    assertThat(mounted.readAll().keySet()).contains("crt.pem", "key.pem", "ca.pem", "keystore.p12")
        .doesNotContain("tls.crt", "tls.key", "ca.crt");
    assertThat(mounted.read("key.pem")).startsWith("-----BEGIN PRIVATE KEY-----");
    // Modes: the host's --default-file-mode (0644 by default; csi-driver's are 0440, see README).
    for (String file : List.of("crt.pem", "key.pem", "ca.pem", "keystore.p12")) {
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
          java.nio.file.Files.getPosixFilePermissions(mounted.file(file)))).isEqualTo("rw-r--r--");
    }
    X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(mounted.readBytes("crt.pem")));
    assertThat(leaf.getPublicKey()).isInstanceOfSatisfying(RSAPublicKey.class,
        rsa -> assertThat(rsa.getModulus().bitLength()).isEqualTo(2048));

    // The CertificateRequest: issuerRef, duration in Go's form, usages, isCA.
    assertThat(certManager.created()).hasSize(1);
    GenericKubernetesResource request = certManager.created().get(0);
    Map<?, ?> spec = (Map<?, ?>) request.getAdditionalProperties().get("spec");
    assertThat(spec.get("issuerRef")).isEqualTo(
        Map.of("name", "ca-issuer", "kind", "ClusterIssuer", "group", "cert-manager.io"));
    assertThat(spec.get("duration")).isEqualTo("72h0m0s");
    assertThat(spec.get("usages")).isEqualTo(List.of("server auth", "client auth"));
    assertThat(spec.get("isCA")).isEqualTo(false);
    assertThat(request.getMetadata().getAnnotations()).doesNotContainKey("csi.cert-manager.io/not-an-attribute");

    // The subject as Go's pkix.Name.ToRDNSequence encodes it: one RDN per type in Go's order,
    // several values in one RDN, PrintableString where Go's asn1 picks it.
    PKCS10CertificationRequest csr = csrOf(request);
    RDN[] rdns = csr.getSubject().getRDNs();
    assertThat(rdns).extracting(rdn -> rdn.getFirst().getType()).containsExactly(BCStyle.C, BCStyle.ST,
        BCStyle.L, BCStyle.STREET, BCStyle.POSTAL_CODE, BCStyle.O, BCStyle.OU, BCStyle.CN,
        BCStyle.SERIALNUMBER);
    assertThat(values(rdns[3])).containsExactly("Manchester", "10 Downing Street, Westminster");
    assertThat(values(rdns[5])).containsExactly("Acme Labs", "Acme, Inc.");
    assertThat(values(rdns[7])).containsExactly("web.team-a");
    for (RDN rdn : rdns) {
      for (AttributeTypeAndValue value : rdn.getTypesAndValues()) {
        assertThat(value.getValue()).isInstanceOf(DERPrintableString.class);
      }
    }
    assertThat(csr.getSubject().getEncoded()).isEqualTo(
        CertificateSigningRequests.subject(CertificateAttributes.parse(everyAttribute()).templates(), pod)
            .getEncoded());

    // SANs in Go's order (DNS, IP, URI); the IPv4-mapped address as 4 bytes, as Go's x509 writes it.
    GeneralNames sans = GeneralNames.fromExtensions(csr.getRequestedExtensions(),
        Extension.subjectAlternativeName);
    List<String> names = new ArrayList<>();
    for (GeneralName name : sans.getNames()) {
      names.add(name.getTagNo() == GeneralName.iPAddress
          ? "ip:" + HexFormat.of().formatHex(
              org.bouncycastle.asn1.ASN1OctetString.getInstance(name.getName()).getOctets())
          : name.getTagNo() + ":" + name.getName());
    }
    assertThat(names).containsExactly(
        "2:web-0.team-a.svc.cluster.local", "2:web-0.team-a",
        "ip:c000020a", "ip:c000020b", "ip:20010db8000000000000000000000001",
        "6:spiffe://cluster.local/ns/team-a/pod/web-0/" + pod.uid());

    // PKCS#12: csi-driver's go-pkcs12 LegacyRC2 profile, readable with the password.
    byte[] p12 = mounted.readBytes("keystore.p12");
    PKCS12PfxPdu pfx = new PKCS12PfxPdu(p12);
    assertThat(EncryptedData.getInstance(pfx.getContentInfos()[0].getContent())
        .getEncryptionAlgorithm().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.pbeWithSHAAnd40BitRC2_CBC);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(new ByteArrayInputStream(p12), "my-password".toCharArray());
    assertThat(store.getCertificate(store.aliases().nextElement())).isEqualTo(leaf);
  }

  private static List<String> values(RDN rdn) {
    List<String> values = new ArrayList<>();
    for (AttributeTypeAndValue value : rdn.getTypesAndValues()) {
      values.add(((ASN1String) value.getValue()).getString());
    }
    return values;
  }

  @Test
  void mount_ecdsaAndEd25519_withCsiDriversDefaultsForThem() throws Exception {
    MountedVolume ecdsa = kubelet.mount(volume("ecdsa", Map.of(ISSUER_NAME, "ca-issuer",
        DNS_NAMES, "web.example.com", KEY_ALGORITHM, "ecdsa", KEY_SIZE, "384",
        PKCS12_ENABLE, "true", PKCS12_PASSWORD, "my-password", PKCS12_PROFILE, "Modern2023")));
    MountedVolume ed25519 = kubelet.mount(volume("ed25519", Map.of(ISSUER_NAME, "ca-issuer",
        COMMON_NAME, "web", KEY_ALGORITHM, "Ed25519", ORGANIZATIONS, "Acme & Co")));

    assertThat(ecdsa.read("tls.key")).startsWith("-----BEGIN PRIVATE KEY-----");
    X509Certificate ecdsaLeaf = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(ecdsa.readBytes("tls.crt")));
    assertThat(ecdsaLeaf.getPublicKey()).isInstanceOfSatisfying(ECPublicKey.class,
        ec -> assertThat(ec.getParams().getCurve().getField().getFieldSize()).isEqualTo(384));
    PKCS12PfxPdu pfx = new PKCS12PfxPdu(ecdsa.readBytes("keystore.p12"));
    assertThat(EncryptedData.getInstance(pfx.getContentInfos()[0].getContent())
        .getEncryptionAlgorithm().getAlgorithm()).isEqualTo(PKCSObjectIdentifiers.id_PBES2);
    assertThat(ed25519.read("tls.key")).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(ed25519.exists("keystore.p12")).isFalse();
    // "Acme & Co" is no PrintableString for Go's asn1: a UTF8String.
    GenericKubernetesResource request = certManager.created().get(1);
    assertThat(csrOf(request).getSubject().getRDNs()[0].getFirst().getValue())
        .isInstanceOf(DERUTF8String.class);
  }

  @Test
  void mount_literalSubject_isInvalidArgumentSayingWhatToUse() {
    Throwable refused = catchThrowable(() -> kubelet.mount(volume("tls", Map.of(ISSUER_NAME,
        "ca-issuer", LITERAL_SUBJECT, "CN=web,O=Acme"))));

    assertThat(refused).hasMessageStartingWith("INVALID_ARGUMENT: ")
        .hasMessageContaining("literal-subject").hasMessageContaining("is not supported by Passport");
    assertThat(certManager.created()).isEmpty();
  }
}
