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
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
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
    X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
    for (String listKey : CertificateAttributes.SUBJECT_LISTS) {
      String raw = t.subjectLists().get(listKey);
      if (raw != null) {
        for (String value : expand(listKey, raw, pod).split(",", -1)) {
          subject.addRDN(SUBJECT_OIDS.get(listKey), value);
        }
      }
    }
    if (t.commonName().isPresent()) {
      subject.addRDN(BCStyle.CN, expand(CertificateAttributes.COMMON_NAME, t.commonName().get(), pod));
    }
    t.serialNumber().ifPresent(serial -> subject.addRDN(BCStyle.SERIALNUMBER, serial));

    List<GeneralName> sans = new ArrayList<>();
    for (String dns : t.dnsNames()) {
      sans.add(new GeneralName(GeneralName.dNSName, expand(CertificateAttributes.DNS_NAMES, dns, pod)));
    }
    for (String ip : attributes.ipSans()) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip));
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
      X500Name name = subject.build();
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

  private static String expand(String key, String template, Pod pod) throws BackendException {
    try {
      return PodVariables.expand(template, pod);
    } catch (IllegalArgumentException e) {
      throw BackendException.invalid("volume attribute \"" + key + "\": " + e.getMessage());
    }
  }
}
