package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.Pod;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/** Builds the PKCS#10 request a CertificateRequest carries, for one pod. */
final class CertificateSigningRequests {

  private static final Map<String, ASN1ObjectIdentifier> SUBJECT_OIDS = Map.of(
      CertificateAttributes.COUNTRIES, BCStyle.C,
      CertificateAttributes.PROVINCES, BCStyle.ST,
      CertificateAttributes.LOCALITIES, BCStyle.L,
      CertificateAttributes.STREET_ADDRESSES, BCStyle.STREET,
      CertificateAttributes.POSTAL_CODES, BCStyle.POSTAL_CODE,
      CertificateAttributes.ORGANIZATIONS, BCStyle.O,
      CertificateAttributes.ORGANIZATIONAL_UNITS, BCStyle.OU);

  private CertificateSigningRequests() {}

  /**
   * A PEM CSR for the attributes' subject and SANs, variables expanded for {@code pod}, signed with
   * {@code key}.
   *
   * @throws BackendException INVALID_ARGUMENT when an expanded URI is not valid
   */
  static byte[] build(CertificateAttributes attributes, Pod pod, KeyPair key) throws BackendException {
    CertificateAttributes.Templates t = attributes.templates();
    X500Name name = subject(t, pod);

    List<GeneralName> sans = new ArrayList<>();
    for (String dns : t.dnsNames()) {
      sans.add(new GeneralName(GeneralName.dNSName, expand(CertificateAttributes.DNS_NAMES, dns, pod)));
    }
    for (String ip : attributes.ipSans()) {
      // Validated at prepare; the bytes Go's x509 writes (4 for IPv4-mapped IPv6).
      sans.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(GoIp.sanBytes(ip)
          .orElseThrow(() -> BackendException.invalid("not an IP address: " + ip)))));
    }
    for (String uri : t.uriSans()) {
      String expanded = expand(CertificateAttributes.URI_SANS, uri, pod);
      Optional<String> problem = CertificateAttributes.uriProblem(expanded);
      if (problem.isPresent()) {
        throw BackendException.invalid("volume attribute \"" + CertificateAttributes.URI_SANS
            + "\" is \"" + expanded + "\" after expanding the pod variables; " + problem.get());
      }
      sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, expanded));
    }

    try {
      JcaPKCS10CertificationRequestBuilder builder =
          new JcaPKCS10CertificationRequestBuilder(name, key.getPublic());
      if (!sans.isEmpty()) {
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        // Critical when the subject is empty, as RFC 5280 4.2.1.6 and Go's x509 require.
        extensions.addExtension(Extension.subjectAlternativeName, name.getRDNs().length == 0,
            new GeneralNames(sans.toArray(GeneralName[]::new)));
        builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
      }
      PKCS10CertificationRequest csr = builder.build(
          new JcaContentSignerBuilder(attributes.key().signatureAlgorithm())
              .setProvider(KeySpec.BC)
              .build(key.getPrivate()));
      StringWriter out = new StringWriter();
      try (PemWriter writer = new PemWriter(out)) {
        writer.writeObject(new PemObject("CERTIFICATE REQUEST", csr.getEncoded()));
      }
      return out.toString().getBytes(StandardCharsets.US_ASCII);
    } catch (IOException | OperatorCreationException e) {
      throw new BackendException(Kind.INTERNAL, "could not build the certificate signing request: "
          + e.getMessage(), e);
    }
  }

  /**
   * The subject as Go's {@code crypto/x509} encodes csi-driver's {@code pkix.Name}
   * ({@code Name.ToRDNSequence}): one RDN per attribute type, in the order C, ST, L, STREET,
   * POSTALCODE, O, OU, CN, SERIALNUMBER, each holding all of that type's values (a multi-valued RDN,
   * its values in DER's SET OF order), each value a PrintableString when Go's asn1 allows one and a
   * UTF8String otherwise. CN is expanded; the serial number is not, as in csi-driver.
   */
  static X500Name subject(CertificateAttributes.Templates t, Pod pod) throws BackendException {
    List<RDN> rdns = new ArrayList<>();
    for (String listKey : CertificateAttributes.SUBJECT_LISTS) {
      List<String> values = t.subjectLists().get(listKey);
      if (values != null) {
        List<String> expanded = new ArrayList<>();
        for (String value : values) {
          expanded.add(expand(listKey, value, pod));
        }
        rdns.add(rdn(SUBJECT_OIDS.get(listKey), expanded));
      }
    }
    if (t.commonName().isPresent()) {
      String cn = expand(CertificateAttributes.COMMON_NAME, t.commonName().get(), pod);
      if (!cn.isEmpty()) {
        rdns.add(rdn(BCStyle.CN, List.of(cn)));
      }
    }
    if (t.serialNumber().isPresent()) {
      rdns.add(rdn(BCStyle.SERIALNUMBER, List.of(t.serialNumber().get())));
    }
    return new X500Name(rdns.toArray(RDN[]::new));
  }

  private static RDN rdn(ASN1ObjectIdentifier type, List<String> values) {
    AttributeTypeAndValue[] set = new AttributeTypeAndValue[values.size()];
    for (int i = 0; i < set.length; i++) {
      set[i] = new AttributeTypeAndValue(type, goString(values.get(i)));
    }
    // DERSet, inside RDN, sorts the values by their encoding as DER (and Go's asn1) does.
    return new RDN(set);
  }

  /**
   * Go's asn1 choice for an untagged string: PrintableString when every character is in its
   * alphabet (letters, digits, space and {@code '()+,-./:=?}; Go's marshaller refuses {@code *} and
   * {@code &} there), else UTF8String.
   */
  static ASN1Encodable goString(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean printable = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || " '()+,-./:=?".indexOf(c) >= 0;
      if (!printable) {
        return new DERUTF8String(value);
      }
    }
    return new DERPrintableString(value);
  }

  private static String expand(String key, String template, Pod pod) throws BackendException {
    try {
      return PodVariables.expand(template, pod);
    } catch (IllegalArgumentException e) {
      throw BackendException.invalid("volume attribute \"" + key + "\": " + e.getMessage());
    }
  }
}
