package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.api.PreparedVolume;
import dev.passport.support.Durations;
import dev.passport.support.Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A volume's certificate, from cert-manager csi-driver's attributes ({@code csi.cert-manager.io/*},
 * verbatim), with csi-driver's defaults and validation rules: the certmanager backend's prepared
 * volume, parsed once per distinct attribute set.
 *
 * <p>Deviations from csi-driver, each deliberate and in the README's migration table:
 * {@code literal-subject} is refused rather than half-supported; plain keys without a {@code /}
 * that Passport does not know are refused (csi-driver ignores them) so a typo fails fast; the
 * operator may choose another default key algorithm ({@code defaultKeyAlgorithm}); the
 * Passport-only {@code pkcs12-profile} chooses the keystore's protection. Unknown
 * {@code csi.cert-manager.io/*} keys are accepted, as csi-driver does, with a warning.
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
    Map<String, String> annotations) implements PreparedVolume {

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
  /** Passport's own: csi-driver always writes {@link Pkcs12Profile#LegacyRC2}. */
  static final String PKCS12_PROFILE = PREFIX + "pkcs12-profile";

  /** cert-manager's {@code DefaultCertificateDuration}: 90 days (csi-driver's docs say 720h; its code uses this). */
  static final Duration DEFAULT_DURATION = Duration.ofDays(90);

  /** The subject fields csi-driver expands variables in, in Go's pkix.Name order. */
  static final List<String> SUBJECT_LISTS = List.of(
      COUNTRIES, PROVINCES, LOCALITIES, STREET_ADDRESSES, POSTAL_CODES, ORGANIZATIONS,
      ORGANIZATIONAL_UNITS);

  /** cert-manager's key usages ({@code pkg/api/util/usages.go}): key usages then extended ones. */
  static final Set<String> KEY_USAGE_NAMES = Set.of(
      "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
      "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only",
      "any", "server auth", "client auth", "code signing", "email protection", "s/mime",
      "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
      "microsoft sgc", "netscape sgc");

  private static final int MIN_RSA_KEY_SIZE = 2048;
  private static final int MAX_RSA_KEY_SIZE = 8192;
  /** csi-lib's largest {@code fs-group}: 4294967295. */
  private static final long MAX_GID = 0xFFFF_FFFFL;

  /**
   * The subject and SANs as the user wrote them, variables unexpanded.
   *
   * @param subjectLists {@link #SUBJECT_LISTS} keys to their values, read as CSV ({@link GoCsv})
   */
  record Templates(
      Optional<String> commonName,
      List<String> dnsNames,
      List<String> uriSans,
      Map<String, List<String>> subjectLists,
      Optional<String> serialNumber) {}

  /** PKCS#12 keystore output. The password is a secret: {@link #toString()} hides it. */
  record Pkcs12(String filename, String password, Pkcs12Profile profile) {
    Pkcs12(String filename, String password) {
      this(filename, password, Pkcs12Profile.LegacyRC2);
    }

    @Override
    public String toString() {
      return "Pkcs12[filename=" + filename + ", profile=" + profile + ", password=<redacted>]";
    }
  }

  /**
   * Applies csi-driver's defaults and validates every attribute. Pod variables are only checked
   * here: their values come with the pod, in {@link CertificateSigningRequests#build}.
   *
   * @throws BackendException of kind INVALID_ARGUMENT listing every problem, each naming its
   *     attribute
   */
  static CertificateAttributes parse(Map<String, String> attributes) throws BackendException {
    return parse(attributes, KeySpec.Algorithm.RSA, warning -> {});
  }

  /**
   * As {@link #parse(Map)}, with the operator's default key algorithm (used when the volume sets
   * no {@code key-algorithm}) and a sink for warnings (each a complete sentence) about attributes
   * accepted although Passport does nothing with them.
   */
  static CertificateAttributes parse(Map<String, String> attributes,
      KeySpec.Algorithm defaultAlgorithm, Consumer<String> warnings) throws BackendException {
    Parser p = new Parser(Settings.attributes(attributes), defaultAlgorithm);
    CertificateAttributes parsed = p.parse();
    if (!p.errors.isEmpty()) {
      throw BackendException.invalid("invalid certmanager volume attributes: "
          + String.join("; ", p.errors));
    }
    p.warnings.forEach(warnings);
    return parsed;
  }

  /** Every {@code csi.cert-manager.io/*} key Passport reads, sorted. */
  static final Set<String> KNOWN_KEYS = Set.copyOf(new TreeSet<>(List.of(ISSUER_NAME, ISSUER_KIND,
      ISSUER_GROUP, COMMON_NAME, ORGANIZATIONS, ORGANIZATIONAL_UNITS, COUNTRIES, PROVINCES,
      LOCALITIES, STREET_ADDRESSES, POSTAL_CODES, SERIAL_NUMBER, LITERAL_SUBJECT, DNS_NAMES, IP_SANS,
      URI_SANS, DURATION, RENEW_BEFORE, IS_CA, KEY_USAGES, KEY_ALGORITHM, KEY_SIZE, KEY_ENCODING,
      REUSE_PRIVATE_KEY, CERTIFICATE_FILE, CA_FILE, PRIVATE_KEY_FILE, FS_GROUP, PKCS12_ENABLE,
      PKCS12_FILENAME, PKCS12_PASSWORD, PKCS12_PROFILE)));

  /** The token audiences a fetch needs: the API server's own. */
  @Override
  public Set<String> audiences() {
    return Set.of(CertManagerBackend.AUDIENCE);
  }

  /**
   * None: no attribute chooses where a fetch connects. Every certmanager volume talks to the one
   * API server the operator configured ({@code certmanager.properties} or the driver pod's
   * environment), so the host's per-backend limit is already the limit for that server. The issuer
   * an attribute names is no remote: the plugin never connects to it, it only waits for its verdict
   * on a watch, which the timeout bounds.
   */
  @Override
  public Optional<String> remote() {
    return Optional.empty();
  }

  /** Collects every error, as csi-driver does, so one pod event lists all there is to fix. */
  private static final class Parser {
    private static final List<String> TRUE_FALSE = List.of("true", "false");

    private final Settings settings;
    private final KeySpec.Algorithm defaultAlgorithm;
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    Parser(Settings settings, KeySpec.Algorithm defaultAlgorithm) {
      this.settings = settings;
      this.defaultAlgorithm = defaultAlgorithm;
    }

    /** A value the binder reads and checks; on a bad value, its message is collected. */
    private interface Binding<T> {
      T bind() throws BackendException;
    }

    private <T> T collect(Binding<T> binding, T fallback) {
      try {
        return binding.bind();
      } catch (BackendException e) {
        errors.add(e.getMessage());
        return fallback;
      }
    }

    private void invalid(String key, String value, String rule) {
      errors.add(settings.invalid(key, value, rule).getMessage());
    }

    CertificateAttributes parse() {
      if (settings.has(LITERAL_SUBJECT)) {
        errors.add(settings.describe(LITERAL_SUBJECT) + " is not supported by Passport; use "
            + COMMON_NAME + " and the subject list attributes");
      }
      String issuerName = collect(() -> settings.required(ISSUER_NAME,
          "name the cert-manager Issuer or ClusterIssuer"), "");
      String issuerKind = settings.string(ISSUER_KIND, "Issuer");
      String issuerGroup = settings.string(ISSUER_GROUP, "cert-manager.io");

      Templates templates = templates();
      List<String> ipSans = ipSans();

      Duration duration = duration(DURATION).orElse(DEFAULT_DURATION);
      Optional<Duration> renewBefore = duration(RENEW_BEFORE);
      boolean isCa = bool(IS_CA);
      List<String> usages = usages();
      KeySpec key = key();
      boolean reuse = bool(REUSE_PRIVATE_KEY);

      String certificateFile = settings.string(CERTIFICATE_FILE, "tls.crt");
      String caFile = settings.string(CA_FILE, "ca.crt");
      String privateKeyFile = settings.string(PRIVATE_KEY_FILE, "tls.key");
      OptionalLong fsGroup = fsGroup();
      Optional<Pkcs12> pkcs12 = pkcs12();

      Map<String, String> files = new LinkedHashMap<>();
      files.put(CERTIFICATE_FILE, certificateFile);
      files.put(CA_FILE, caFile);
      files.put(PRIVATE_KEY_FILE, privateKeyFile);
      if (settings.has(PKCS12_ENABLE)) {
        files.put(PKCS12_FILENAME, settings.string(PKCS12_FILENAME, "keystore.p12"));
      }
      files.forEach(this::filename);
      uniqueFiles(files);

      // Last: only now does the binder know every attribute asked for.
      Map<String, String> annotations = annotations();
      return new CertificateAttributes(issuerName, issuerKind, issuerGroup, templates, ipSans,
          duration, renewBefore, isCa, usages, key == null ? KeySpec.defaultFor(defaultAlgorithm)
              : key, reuse, certificateFile, caFile, privateKeyFile,
          fsGroup, pkcs12, Map.copyOf(annotations));
    }

    /**
     * csi-driver copies attributes with a {@code /} outside its prefix onto the CertificateRequest
     * as annotations (e.g. for approver-policy); so do we. Unknown keys of its prefix it ignores:
     * so do we, with a warning, since they are mostly typos. Anything else unknown is refused.
     */
    private Map<String, String> annotations() {
      Map<String, String> raw = settings.asMap();
      Map<String, String> annotations = new TreeMap<>();
      List<String> ignored = new ArrayList<>();
      for (String key : new TreeSet<>(settings.unknownKeys())) {
        if (key.startsWith(PREFIX)) {
          ignored.add(key);
        } else if (key.contains("/")) {
          annotations.put(key, raw.get(key));
        } else {
          errors.add("unknown volume attribute \"" + key + "\" (certmanager attributes start with "
              + PREFIX + ")");
        }
      }
      if (!ignored.isEmpty()) {
        // Keys only, never values: a value may be a secret the user put in the wrong attribute.
        warnings.add("ignoring volume attribute" + (ignored.size() > 1 ? "s " : " ")
            + String.join(", ", ignored.stream().map(k -> "\"" + k + "\"").toList())
            + ", unknown to csi-driver and Passport (as csi-driver does); the known ones are "
            + String.join(", ", new TreeSet<>(KNOWN_KEYS)));
      }
      return annotations;
    }

    private Templates templates() {
      Optional<String> commonName = settings.optional(COMMON_NAME);
      commonName.ifPresent(cn -> checkTemplate(COMMON_NAME, cn));
      List<String> dnsNames = list(DNS_NAMES);
      dnsNames.forEach(name -> checkTemplate(DNS_NAMES, name));
      List<String> uriSans = list(URI_SANS);
      for (String uri : uriSans) {
        if (checkTemplate(URI_SANS, uri)) {
          // Check the shape with placeholder values; the real ones only arrive with the pod.
          String shape = uri.replaceAll("\\$\\{?[A-Z_]+}?", "x");
          uriProblem(shape).ifPresent(problem -> invalid(URI_SANS, shape, problem));
        }
      }
      Map<String, List<String>> subjectLists = new LinkedHashMap<>();
      for (String key : SUBJECT_LISTS) {
        Optional<String> value = settings.optional(key);
        if (value.isPresent() && checkTemplate(key, value.get())) {
          // Read as CSV before the variables are expanded, where csi-driver expands first: the
          // same values, since no variable's value (Kubernetes names, a UID) holds a comma, a
          // quote or a line break; and so a CSV mistake fails at prepare, for every pod at once.
          try {
            subjectLists.put(key, GoCsv.values(value.get()));
          } catch (IllegalArgumentException e) {
            invalid(key, value.get(), e.getMessage());
          }
        }
      }
      Optional<String> serial = settings.optional(SERIAL_NUMBER);
      return new Templates(commonName, dnsNames, uriSans, Map.copyOf(subjectLists), serial);
    }

    private boolean checkTemplate(String key, String template) {
      List<String> problems = PodVariables.problems(template);
      problems.forEach(problem -> errors.add(settings.describe(key) + ": " + problem));
      return problems.isEmpty();
    }

    private List<String> ipSans() {
      List<String> ips = list(IP_SANS);
      for (String ip : ips) {
        if (GoIp.sanBytes(ip).isEmpty()) {
          invalid(IP_SANS, ip, "not an IP address as Go reads one (IPv4 a.b.c.d without leading"
              + " zeros, or IPv6 without a %zone)");
        }
      }
      return ips;
    }

    /**
     * csi-driver's splitList: split on commas and trim each element, keeping empty ones (which
     * then fail their own check, as in csi-driver), so not {@link Settings#list}.
     */
    private List<String> list(String key) {
      return settings.optional(key)
          .map(value -> Arrays.stream(value.split(",", -1)).map(String::trim).toList())
          .orElse(List.of());
    }

    /**
     * A duration in Go's syntax, as csi-driver reads it, or ISO-8601. Negative values pass, as in
     * csi-driver (cert-manager judges the duration; a negative renew-before means the default), so
     * not {@link Settings#duration}, which refuses them.
     */
    private Optional<Duration> duration(String key) {
      Optional<String> value = settings.optional(key);
      Optional<Duration> parsed = value.flatMap(Durations::tryParse);
      if (value.isPresent() && parsed.isEmpty()) {
        invalid(key, value.get(), "must be a valid duration string such as 720h or 1h30m"
            + " (or ISO-8601 PT720H)");
      }
      return parsed;
    }

    /** csi-driver's booleans: exactly {@code true} or {@code false}. */
    private boolean bool(String key) {
      return collect(() -> settings.oneOf(key, "false", TRUE_FALSE), "false").equals("true");
    }

    /**
     * csi-lib's {@code fs-group}: a whole number from 1 to 4294967295. Passport hands the group to
     * the host as a Java {@code int}, so it refuses groups above 2147483647 (README migration table).
     */
    private OptionalLong fsGroup() {
      OptionalLong gid = collect(() -> settings.longInteger(FS_GROUP, 1, MAX_GID)
          .map(OptionalLong::of).orElse(OptionalLong.empty()), OptionalLong.empty());
      if (gid.isPresent() && gid.getAsLong() > Integer.MAX_VALUE) {
        invalid(FS_GROUP, settings.string(FS_GROUP, ""), "Passport supports group ids up to "
            + Integer.MAX_VALUE + " (csi-driver up to " + MAX_GID + "); use a smaller group");
        return OptionalLong.empty();
      }
      return gid;
    }

    private List<String> usages() {
      String value = settings.string(KEY_USAGES, "digital signature,key encipherment");
      List<String> usages = new ArrayList<>();
      for (String usage : value.split(",", -1)) {
        String trimmed = usage.trim();
        if (!KEY_USAGE_NAMES.contains(trimmed)) {
          invalid(KEY_USAGES, trimmed, "not a cert-manager key usage (valid: "
              + String.join(", ", new TreeSet<>(KEY_USAGE_NAMES)) + ")");
        }
        usages.add(trimmed);
      }
      return List.copyOf(usages);
    }

    private KeySpec key() {
      settings.known(KEY_SIZE); // read below only for a valid algorithm and encoding
      String algorithmValue = settings.string(KEY_ALGORITHM, defaultAlgorithm.name());
      // Said where a key-size or key-encoding fails only because the node's default applied.
      String byDefault = settings.has(KEY_ALGORITHM) || defaultAlgorithm == KeySpec.Algorithm.RSA
          ? "" : " (this node's default key algorithm is " + defaultAlgorithm + "; set "
              + KEY_ALGORITHM + ": RSA for csi-driver's default)";
      KeySpec.Algorithm algorithm = null;
      for (KeySpec.Algorithm candidate : KeySpec.Algorithm.values()) {
        if (candidate.name().equalsIgnoreCase(algorithmValue)) {
          algorithm = candidate;
        }
      }
      Optional<String> encodingValue = settings.optional(KEY_ENCODING);
      KeySpec.Encoding encoding = null;
      if (encodingValue.isEmpty()) {
        encoding = algorithm == KeySpec.Algorithm.RSA ? KeySpec.Encoding.PKCS1 : KeySpec.Encoding.PKCS8;
      } else {
        for (KeySpec.Encoding candidate : KeySpec.Encoding.values()) {
          if (candidate.name().equalsIgnoreCase(encodingValue.get())) {
            encoding = candidate;
          }
        }
        if (encoding == null) {
          invalid(KEY_ENCODING, encodingValue.get(), "not supported: use PKCS1 or PKCS8");
          return null;
        }
      }
      if (algorithm == null) {
        invalid(KEY_ALGORITHM, algorithmValue, "not supported: use RSA, ECDSA or Ed25519");
        return null;
      }
      String encodingText = encodingValue.orElse("");
      switch (algorithm) {
        case RSA -> {
          Integer size = collect(() -> settings.integer(KEY_SIZE, MIN_RSA_KEY_SIZE,
              MAX_RSA_KEY_SIZE).orElse(MIN_RSA_KEY_SIZE), null);
          return size == null ? null : new KeySpec(algorithm, size, encoding);
        }
        case ECDSA -> {
          if (encoding == KeySpec.Encoding.PKCS1) {
            invalid(KEY_ENCODING, encodingText, "cannot be used with ECDSA: use PKCS8" + byDefault);
            return null;
          }
          String rule = "not supported for ECDSA: use 256, 384 or 521" + byDefault;
          try {
            int size = settings.integer(KEY_SIZE, 256, 521).orElse(256);
            if (size == 256 || size == 384 || size == 521) {
              return new KeySpec(algorithm, size, encoding);
            }
          } catch (BackendException e) {
            // not a number in range: the binder's rule would hide the three sizes there are
          }
          invalid(KEY_SIZE, settings.string(KEY_SIZE, ""), rule);
          return null;
        }
        default -> {
          if (encoding == KeySpec.Encoding.PKCS1) {
            invalid(KEY_ENCODING, encodingText, "cannot be used with Ed25519: use PKCS8" + byDefault);
            return null;
          }
          if (settings.has(KEY_SIZE)) {
            invalid(KEY_SIZE, settings.string(KEY_SIZE, ""),
                "must be empty when using Ed25519 as the key algorithm" + byDefault);
            return null;
          }
          return new KeySpec(algorithm, 0, encoding);
        }
      }
    }

    private Optional<Pkcs12> pkcs12() {
      Optional<String> enable = settings.optional(PKCS12_ENABLE);
      if (enable.isEmpty()) {
        // No PKCS#12 attributes without pkcs12-enable: a password with no keystore is a mistake.
        Map<String, String> raw = settings.asMap();
        for (String key : List.of(PKCS12_FILENAME, PKCS12_PASSWORD, PKCS12_PROFILE)) {
          settings.known(key);
          if (raw.containsKey(key)) {
            errors.add(settings.describe(key) + " cannot be used without " + PKCS12_ENABLE
                + " set to \"true\" or \"false\"");
          }
        }
        return Optional.empty();
      }
      Optional<String> password = settings.secret(PKCS12_PASSWORD);
      if (password.isEmpty()) {
        errors.add(settings.describe(PKCS12_PASSWORD) + " is required when " + PKCS12_ENABLE
            + " is set");
      }
      String enabled = collect(() -> settings.oneOf(PKCS12_ENABLE, "false", TRUE_FALSE), null);
      List<String> profiles = java.util.Arrays.stream(Pkcs12Profile.values()).map(Enum::name).toList();
      String profile = collect(() -> settings.oneOf(PKCS12_PROFILE, Pkcs12Profile.LegacyRC2.name(),
          profiles), Pkcs12Profile.LegacyRC2.name());
      return "true".equals(enabled)
          ? Optional.of(new Pkcs12(settings.string(PKCS12_FILENAME, "keystore.p12"),
              password.orElse(""), Pkcs12Profile.valueOf(profile)))
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
        invalid(key, name, "not a file name");
      }
    }

    private void uniqueFiles(Map<String, String> files) {
      Map<String, String> seen = new LinkedHashMap<>();
      files.forEach((key, name) -> {
        String other = seen.putIfAbsent(name, key);
        if (other != null) {
          invalid(key, name, "also the file name of " + other + "; every file needs its own name");
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
          ? Optional.empty() : Optional.of("not an absolute URI");
    } catch (URISyntaxException e) {
      return Optional.of("not a valid URI: " + e.getReason());
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
