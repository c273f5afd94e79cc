package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.testkit.Pods;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The subject's DER, as Go's crypto/x509 writes csi-driver's pkix.Name (issue 18 item 1). */
class CertificateSigningRequestsTest {

  private static byte[] subject(String... pairs) throws Exception {
    Map<String, String> attributes = new HashMap<>();
    attributes.put(ISSUER_NAME, "ca-issuer");
    for (int i = 0; i < pairs.length; i += 2) {
      attributes.put(pairs[i], pairs[i + 1]);
    }
    return CertificateSigningRequests.subject(CertificateAttributes.parse(attributes).templates(),
        Pods.pod("team-a", "web-0", "web")).getEncoded();
  }

  @Test
  void subject_streetAddressesAsCsv_isOneMultiValuedRdnInGosOrderAndStringTypes() throws Exception {
    byte[] der = subject(
        COMMON_NAME, "web",
        ORGANIZATIONS, "Acme & Co",
        STREET_ADDRESSES, "\"10 Downing Street, Westminster\",Manchester",
        COUNTRIES, "GB");

    // Go's Name.ToRDNSequence: C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER, one RDN per
    // type. asn1.Marshal sorts a SET OF by encoding (shorter SEQUENCE length first here) and
    // writes PrintableString unless a character is outside its alphabet ('&' is): then UTF8String.
    String c = "310b" + "3009" + "0603550406" + "13024742";                         // C=GB
    String street = "313a"
        + "3011" + "0603550409" + "130a" + "4d616e63686573746572"                  // Manchester
        + "3025" + "0603550409" + "131e"
        + "313020446f776e696e67205374726565742c20576573746d696e73746572";           // 30 chars
    String o = "3112" + "3010" + "060355040a" + "0c09" + "41636d65202620436f";      // UTF8String
    String cn = "310c" + "300a" + "0603550403" + "1303" + "776562";                  // CN=web
    assertThat(HexFormat.of().formatHex(der)).isEqualTo("306b" + c + street + o + cn);
  }

  @Test
  void subject_noSubjectAttributes_isAnEmptySequence() throws Exception {
    assertThat(HexFormat.of().formatHex(subject(DNS_NAMES, "web.example.com"))).isEqualTo("3000");
  }

  @Test
  void subject_serialNumberIsNotExpandedAndCommonNameIs() throws Exception {
    byte[] der = subject(COMMON_NAME, "${POD_NAME}", SERIAL_NUMBER, "1234");
    // CN=web-0 (PrintableString), then SERIALNUMBER (2.5.4.5) 1234.
    String cn = "310e" + "300c" + "0603550403" + "1305" + "7765622d30";
    String serial = "310d" + "300b" + "0603550405" + "1304" + "31323334";
    assertThat(HexFormat.of().formatHex(der)).isEqualTo("301f" + cn + serial);
  }
}
