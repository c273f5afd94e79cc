package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.bouncycastle.util.IPAddress;

/**
 * A volume's certificate, from cert-manager csi-driver's attributes ({@code csi.cert-manager.io/*},
 * verbatim), with csi-driver's defaults and validation rules.
 *
 * <p>Deviations from csi-driver, each deliberate: the key algorithm defaults to ECDSA P-256 (not
 * RSA 2048) as issue 7 asks; {@code literal-subject} is refused rather than half-supported; plain
 * keys without a {@code /} that Passport does not know are refused (csi-driver ignores them) so a
 * typo fails fast.
 *
 * @param templates names and SANs still holding {@code ${POD_*}} variables, see {@link #subject}
 */
record CertificateAttributes(
    String issuerName,
    String issuerKind,
    String issuerGroup,
    Templates templates,
    List<String> ipSans,
    Duration duration,
    Optional<Duration> renewBefore,
    boolean isCa,
    List<String> usages,
    KeySpec key,
    boolean reusePrivateKey,
    String certificateFile,
    String caFile,
    String privateKeyFile,
    OptionalLong fsGroup,
    Optional<Pkcs12> pkcs12,
    Map<String, String> annotations) {

  static final String PREFIX = "csi.cert-manager.io/";
  static final String ISSUER_NAME = PREFIX + "issuer-name";
  static final String ISSUER_KIND = PREFIX + "issuer-kind";
  static final String ISSUER_GROUP = PREFIX + "issuer-group";
  static final String COMMON_NAME = PREFIX + "common-name";
  static final String ORGANIZATIONS = PREFIX + "organizations";
  static final String ORGANIZATIONAL_UNITS = PREFIX + "organizationalunits";
  static final String COUNTRIES = PREFIX + "countries";
  static final String PROVINCES = PREFIX + "provinces";
  static final String LOCALITIES = PREFIX + "localities";
  static final String STREET_ADDRESSES = PREFIX + "streetaddresses";
  static final String POSTAL_CODES = PREFIX + "postalcodes";
  static final String SERIAL_NUMBER = PREFIX + "serialnumber";
  static final String LITERAL_SUBJECT = PREFIX + "literal-subject";
  static final String DNS_NAMES = PREFIX + "dns-names";
  static final String IP_SANS = PREFIX + "ip-sans";
  static final String URI_SANS = PREFIX + "uri-sans";
  static final String DURATION = PREFIX + "duration";
  static final String RENEW_BEFORE = PREFIX + "renew-before";
  static final String IS_CA = PREFIX + "is-ca";
  static final String KEY_USAGES = PREFIX + "key-usages";
  static final String KEY_ALGORITHM = PREFIX + "key-algorithm";
  static final String KEY_SIZE = PREFIX + "key-size";
  static final String KEY_ENCODING = PREFIX + "key-encoding";
  static final String REUSE_PRIVATE_KEY = PREFIX + "reuse-private-key";
  static final String CERTIFICATE_FILE = PREFIX + "certificate-file";
  static final String CA_FILE = PREFIX + "ca-file";
  static final String PRIVATE_KEY_FILE = PREFIX + "privatekey-file";
  static final String FS_GROUP = PREFIX + "fs-group";
  static final String PKCS12_ENABLE = PREFIX + "pkcs12-enable";
  static final String PKCS12_FILENAME = PREFIX + "pkcs12-filename";
  static final String PKCS12_PASSWORD = PREFIX + "pkcs12-password";

  /** cert-manager's {@code DefaultCertificateDuration}: 90 days (csi-driver's docs say 720h; its code uses this). */
  static final Duration DEFAULT_DURATION = Duration.ofDays(90);

  /** The subject fields csi-driver expands variables in, in Go's pkix.Name order. */
  static final List<String> SUBJECT_LISTS = List.of(
      COUNTRIES, PROVINCES, LOCALITIES, STREET_ADDRESSES, POSTAL_CODES, ORGANIZATIONS,
      ORGANIZATIONAL_UNITS);

  private static final Set<String> KNOWN = Set.of(
      ISSUER_NAME, ISSUER_KIND, ISSUER_GROUP, COMMON_NAME, ORGANIZATIONS, ORGANIZATIONAL_UNITS,
      COUNTRIES, PROVINCES, LOCALITIES, STREET_ADDRESSES, POSTAL_CODES, SERIAL_NUMBER,
      LITERAL_SUBJECT, DNS_NAMES, IP_SANS, URI_SANS, DURATION, RENEW_BEFORE, IS_CA, KEY_USAGES,
      KEY_ALGORITHM, KEY_SIZE, KEY_ENCODING, REUSE_PRIVATE_KEY, CERTIFICATE_FILE, CA_FILE,
      PRIVATE_KEY_FILE, FS_GROUP, PKCS12_ENABLE, PKCS12_FILENAME, PKCS12_PASSWORD);

  /** cert-manager's key usages ({@code pkg/api/util/usages.go}): key usages then extended ones. */
  static final Set<String> KEY_USAGE_NAMES = Set.of(
      "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
      "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only",
      "any", "server auth", "client auth", "code signing", "email protection", "s/mime",
      "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
      "microsoft sgc", "netscape sgc");

  private static final int MIN_RSA_KEY_SIZE = 2048;
  private static final int MAX_RSA_KEY_SIZE = 8192;

  /**
   * The subject and SANs as the user wrote them, variables unexpanded.
   *
   * @param subjectLists {@link #SUBJECT_LISTS} keys to their raw comma-separated values
   */
  record Templates(
      Optional<String> commonName,
      List<String> dnsNames,
      List<String> uriSans,
      Map<String, String> subjectLists,
      Optional<String> serialNumber) {}

  /** PKCS#12 keystore output. The password is a secret: {@link #toString()} hides it. */
  record Pkcs12(String filename, String password) {
    @Override
    public String toString() {
      return "Pkcs12[filename=" + filename + ", password=<redacted>]";
    }
  }

  /**
   * Applies csi-driver's defaults and validates every attribute.
   *
   * @throws BackendException of kind INVALID_ARGUMENT listing every problem, each naming its
   *     attribute
   */
  static CertificateAttributes parse(Map<String, String> attributes) throws BackendException {
    Parser p = new Parser(attributes);
    CertificateAttributes parsed = p.parse();
    if (!p.errors.isEmpty()) {
      throw new BackendException(Kind.INVALID_ARGUMENT, "invalid certmanager volume attributes: "
          + String.join("; ", p.errors));
    }
    return parsed;
  }

  /** Collects every error, as csi-driver does, so one pod event lists all there is to fix. */
  private static final class Parser {
    private final Map<String, String> attributes;
    private final List<String> errors = new ArrayList<>();

    Parser(Map<String, String> attributes) {
      this.attributes = attributes;
    }

    CertificateAttributes parse() {
      Map<String, String> annotations = new TreeMap<>();
      for (String key : new TreeMap<>(attributes).keySet()) {
        if (key.startsWith(PREFIX)) {
          if (!KNOWN.contains(key)) {
            errors.add(key + " is not a csi.cert-manager.io attribute Passport knows");
          }
        } else if (key.contains("/")) {
          // csi-driver copies other prefixed attributes onto the CertificateRequest as annotations,
          // e.g. for approver-policy; so do we.
          annotations.put(key, attributes.get(key));
        } else {
          errors.add("unknown attribute " + key + " (certmanager attributes start with " + PREFIX + ")");
        }
      }
      if (!value(LITERAL_SUBJECT).isEmpty()) {
        errors.add(LITERAL_SUBJECT + " is not supported by Passport; use " + COMMON_NAME
            + " and the subject list attributes");
      }

      String issuerName = value(ISSUER_NAME);
      if (issuerName.isEmpty()) {
        errors.add(ISSUER_NAME + " is required: name the cert-manager Issuer or ClusterIssuer");
      }
      String issuerKind = valueOr(ISSUER_KIND, "Issuer");
      String issuerGroup = valueOr(ISSUER_GROUP, "cert-manager.io");

      Templates templates = templates();
      List<String> ipSans = ipSans();

      Duration duration = duration(DURATION).orElse(DEFAULT_DURATION);
      Optional<Duration> renewBefore = duration(RENEW_BEFORE);
      boolean isCa = bool(IS_CA);
      List<String> usages = usages();
      KeySpec key = key();
      boolean reuse = bool(REUSE_PRIVATE_KEY);

      String certificateFile = valueOr(CERTIFICATE_FILE, "tls.crt");
      String caFile = valueOr(CA_FILE, "ca.crt");
      String privateKeyFile = valueOr(PRIVATE_KEY_FILE, "tls.key");
      OptionalLong fsGroup = fsGroup();
      Optional<Pkcs12> pkcs12 = pkcs12();

      Map<String, String> files = new LinkedHashMap<>();
      files.put(CERTIFICATE_FILE, certificateFile);
      files.put(CA_FILE, caFile);
      files.put(PRIVATE_KEY_FILE, privateKeyFile);
      if (attributes.containsKey(PKCS12_ENABLE) && !value(PKCS12_ENABLE).isEmpty()) {
        files.put(PKCS12_FILENAME, valueOr(PKCS12_FILENAME, "keystore.p12"));
      }
      files.forEach(this::filename);
      uniqueFiles(files);

      return new CertificateAttributes(issuerName, issuerKind, issuerGroup, templates, ipSans,
          duration, renewBefore, isCa, usages, key == null ? new KeySpec(KeySpec.Algorithm.ECDSA, 256,
              KeySpec.Encoding.PKCS8) : key, reuse, certificateFile, caFile, privateKeyFile,
          fsGroup, pkcs12, Map.copyOf(annotations));
    }

    private String value(String key) {
      String value = attributes.get(key);
      return value == null ? "" : value;
    }

    private String valueOr(String key, String defaultValue) {
      String value = value(key);
      return value.isEmpty() ? defaultValue : value;
    }

    private void invalid(String key, String value, String rule) {
      errors.add(key + ": \"" + value + "\" " + rule);
    }

    private Templates templates() {
      Optional<String> commonName = Optional.of(value(COMMON_NAME)).filter(s -> !s.isEmpty());
      commonName.ifPresent(cn -> checkTemplate(COMMON_NAME, cn));
      List<String> dnsNames = list(DNS_NAMES);
      dnsNames.forEach(name -> checkTemplate(DNS_NAMES, name));
      List<String> uriSans = list(URI_SANS);
      for (String uri : uriSans) {
        if (checkTemplate(URI_SANS, uri)) {
          // Check the shape with placeholder values; the real ones only arrive with the pod.
          checkUri(URI_SANS, uri.replaceAll("\\$\\{?[A-Z_]+}?", "x"));
        }
      }
      Map<String, String> subjectLists = new LinkedHashMap<>();
      for (String key : SUBJECT_LISTS) {
        String value = value(key);
        if (!value.isEmpty() && checkTemplate(key, value)) {
          subjectLists.put(key, value);
        }
      }
      Optional<String> serial = Optional.of(value(SERIAL_NUMBER)).filter(s -> !s.isEmpty());
      return new Templates(commonName, dnsNames, uriSans, Map.copyOf(subjectLists), serial);
    }

    private boolean checkTemplate(String key, String template) {
      List<String> problems = PodVariables.problems(template);
      problems.forEach(problem -> errors.add(key + ": " + problem));
      return problems.isEmpty();
    }

    private void checkUri(String key, String uri) {
      uriProblem(uri).ifPresent(problem -> invalid(key, uri, problem));
    }

    private List<String> ipSans() {
      List<String> ips = list(IP_SANS);
      for (String ip : ips) {
        if (!IPAddress.isValid(ip)) {
          invalid(IP_SANS, ip, "is not an IP address");
        }
      }
      return ips;
    }

    /** csi-driver's splitList: split on commas, trim each element. */
    private List<String> list(String key) {
      String value = value(key);
      if (value.isEmpty()) {
        return List.of();
      }
      List<String> items = new ArrayList<>();
      for (String item : value.split(",", -1)) {
        items.add(item.trim());
      }
      return List.copyOf(items);
    }

    private Optional<Duration> duration(String key) {
      String value = value(key);
      if (value.isEmpty()) {
        return Optional.empty();
      }
      Optional<Duration> parsed = GoDuration.parse(value);
      if (parsed.isEmpty()) {
        invalid(key, value, "must be a valid duration string such as 720h or 1h30m");
      }
      return parsed;
    }

    private boolean bool(String key) {
      String value = value(key);
      if (!value.isEmpty() && !value.equals("true") && !value.equals("false")) {
        invalid(key, value, "may only accept values of \"true\" or \"false\"");
      }
      return value.equals("true");
    }

    private List<String> usages() {
      String value = valueOr(KEY_USAGES, "digital signature,key encipherment");
      List<String> usages = new ArrayList<>();
      for (String usage : value.split(",", -1)) {
        String trimmed = usage.trim();
        if (!KEY_USAGE_NAMES.contains(trimmed)) {
          invalid(KEY_USAGES, trimmed, "is not a valid key usage (valid: "
              + String.join(", ", new TreeSet<>(KEY_USAGE_NAMES)) + ")");
        }
        usages.add(trimmed);
      }
      return List.copyOf(usages);
    }

    private KeySpec key() {
      String algorithmValue = valueOr(KEY_ALGORITHM, "ECDSA");
      KeySpec.Algorithm algorithm = null;
      for (KeySpec.Algorithm candidate : KeySpec.Algorithm.values()) {
        if (candidate.name().equalsIgnoreCase(algorithmValue)) {
          algorithm = candidate;
        }
      }
      String encodingValue = value(KEY_ENCODING);
      KeySpec.Encoding encoding = null;
      if (encodingValue.isEmpty()) {
        encoding = algorithm == KeySpec.Algorithm.RSA ? KeySpec.Encoding.PKCS1 : KeySpec.Encoding.PKCS8;
      } else {
        for (KeySpec.Encoding candidate : KeySpec.Encoding.values()) {
          if (candidate.name().equalsIgnoreCase(encodingValue)) {
            encoding = candidate;
          }
        }
        if (encoding == null) {
          invalid(KEY_ENCODING, encodingValue, "is not supported: use PKCS1 or PKCS8");
          return null;
        }
      }
      if (algorithm == null) {
        invalid(KEY_ALGORITHM, algorithmValue, "is not supported: use RSA, ECDSA or Ed25519");
        return null;
      }
      String sizeValue = value(KEY_SIZE);
      switch (algorithm) {
        case RSA -> {
          Integer size = integer(KEY_SIZE, sizeValue.isEmpty() ? "2048" : sizeValue);
          if (size == null) {
            return null;
          }
          if (size < MIN_RSA_KEY_SIZE || size > MAX_RSA_KEY_SIZE) {
            invalid(KEY_SIZE, sizeValue, "must be within " + MIN_RSA_KEY_SIZE + ".." + MAX_RSA_KEY_SIZE
                + " when using the RSA key algorithm");
            return null;
          }
          return new KeySpec(algorithm, size, encoding);
        }
        case ECDSA -> {
          if (encoding == KeySpec.Encoding.PKCS1) {
            invalid(KEY_ENCODING, encodingValue, "cannot be used with ECDSA: use PKCS8");
            return null;
          }
          Integer size = integer(KEY_SIZE, sizeValue.isEmpty() ? "256" : sizeValue);
          if (size == null) {
            return null;
          }
          if (size != 256 && size != 384 && size != 521) {
            invalid(KEY_SIZE, sizeValue, "is not supported for ECDSA: use 256, 384 or 521");
            return null;
          }
          return new KeySpec(algorithm, size, encoding);
        }
        default -> {
          if (encoding == KeySpec.Encoding.PKCS1) {
            invalid(KEY_ENCODING, encodingValue, "cannot be used with Ed25519: use PKCS8");
            return null;
          }
          if (!sizeValue.isEmpty()) {
            invalid(KEY_SIZE, sizeValue, "must be empty when using Ed25519 as the key algorithm");
            return null;
          }
          return new KeySpec(algorithm, 0, encoding);
        }
      }
    }

    private Integer integer(String key, String value) {
      try {
        return Integer.parseInt(value);
      } catch (NumberFormatException e) {
        invalid(key, value, "is not an integer");
        return null;
      }
    }

    private OptionalLong fsGroup() {
      String value = value(FS_GROUP);
      if (value.isEmpty()) {
        return OptionalLong.empty();
      }
      try {
        long gid = Long.parseLong(value);
        if (gid <= 0 || gid > 0xFFFF_FFFEL) {
          invalid(FS_GROUP, value, "must be a group id greater than 0");
          return OptionalLong.empty();
        }
        return OptionalLong.of(gid);
      } catch (NumberFormatException e) {
        invalid(FS_GROUP, value, "is not an integer group id");
        return OptionalLong.empty();
      }
    }

    private Optional<Pkcs12> pkcs12() {
      String enable = value(PKCS12_ENABLE);
      if (enable.isEmpty()) {
        // No PKCS#12 attributes without pkcs12-enable: a password with no keystore is a mistake.
        for (String key : List.of(PKCS12_FILENAME, PKCS12_PASSWORD)) {
          if (attributes.containsKey(key)) {
            errors.add(key + " cannot be used without " + PKCS12_ENABLE + " set to \"true\" or \"false\"");
          }
        }
        return Optional.empty();
      }
      String password = value(PKCS12_PASSWORD);
      if (password.isEmpty()) {
        errors.add(PKCS12_PASSWORD + " is required when " + PKCS12_ENABLE + " is set");
      }
      if (!enable.equals("true") && !enable.equals("false")) {
        invalid(PKCS12_ENABLE, enable, "is not supported: use \"true\" or \"false\"");
        return Optional.empty();
      }
      return enable.equals("true")
          ? Optional.of(new Pkcs12(valueOr(PKCS12_FILENAME, "keystore.p12"), password))
          : Optional.empty();
    }

    /** csi-driver's file name rules, plus "." and ".." that it would let through. */
    private void filename(String key, String name) {
      if (name.startsWith("/")) {
        invalid(key, name, "must not be an absolute path");
      }
      if (name.startsWith("..")) {
        invalid(key, name, "must not start with '..'");
      }
      if (name.contains("/")) {
        invalid(key, name, "must not include '/'");
      }
      if (name.length() > 255) {
        invalid(key, name, "must be no longer than 255 characters");
      }
      if (!name.equals(name.trim())) {
        invalid(key, name, "must not include leading or trailing spaces");
      }
      if (name.equals(".") || name.contains("\0")) {
        invalid(key, name, "is not a file name");
      }
    }

    private void uniqueFiles(Map<String, String> files) {
      Map<String, String> seen = new LinkedHashMap<>();
      files.forEach((key, name) -> {
        String other = seen.putIfAbsent(name, key);
        if (other != null) {
          errors.add(key + ": \"" + name + "\" is also the file name of " + other
              + "; every file needs its own name");
        }
      });
    }
  }

  /**
   * What is wrong with {@code uri} as a URI SAN, by Go's {@code url.ParseRequestURI} (which
   * csi-driver uses): it must be an absolute URI or an absolute path.
   */
  static Optional<String> uriProblem(String uri) {
    try {
      URI parsed = new URI(uri);
      return parsed.isAbsolute() || uri.startsWith("/")
          ? Optional.empty() : Optional.of("is not an absolute URI");
    } catch (URISyntaxException e) {
      return Optional.of("is not a valid URI: " + e.getReason());
    }
  }

  /** Everything except the PKCS#12 password. */
  @Override
  public String toString() {
    return "CertificateAttributes[issuer=" + issuerKind + "/" + issuerName + "." + issuerGroup
        + ", templates=" + templates + ", ipSans=" + ipSans + ", duration=" + duration
        + ", renewBefore=" + renewBefore + ", isCa=" + isCa + ", usages=" + usages + ", key=" + key
        + ", reusePrivateKey=" + reusePrivateKey + ", files=" + certificateFile + "," + caFile + ","
        + privateKeyFile + ", pkcs12=" + pkcs12 + "]";
  }
}
