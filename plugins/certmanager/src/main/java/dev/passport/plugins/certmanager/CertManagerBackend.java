package dev.passport.plugins.certmanager;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.support.Durations;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues a certificate per volume through cert-manager, creating the CertificateRequest with the
 * pod's own token (audience {@code ""}) so that cert-manager's approvers judge the workload.
 *
 * <p>Per volume it remembers only what cannot be recovered elsewhere: a request still pending and
 * the private key behind it, so that a fetch that timed out resumes the same request instead of
 * piling up new ones. That memory is bounded: it is dropped once the request is decided, on
 * {@link #release}, after {@link #MAX_WAITS} undecided waits, and when no fetch has asked for it
 * for {@link #FORGET_AFTER} (a pod deleted before its first certificate gets no release from a
 * host that never published it).
 *
 * <p>What a fetch does depends on {@link FetchRequest#reason()}: a token rotation returns the
 * volume's certificate unchanged (no CertificateRequest), a recovered volume keeps its certificate
 * until it is due, anything else issues. Renewal is due at exactly {@code notAfter − renew-before},
 * as csi-driver's {@code NextIssuanceTime}.
 */
final class CertManagerBackend implements Backend<CertificateAttributes> {

  /** The audience of the token the Kubernetes API server accepts: its own. */
  static final String AUDIENCE = "";
  static final String LABEL_PREFIX = "passport.csi.dev/";
  static final String VOLUME_LABEL = LABEL_PREFIX + "volume";
  static final String NODE_LABEL = LABEL_PREFIX + "node";
  static final String VOLUME_ID_ANNOTATION = LABEL_PREFIX + "volume-id";

  private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
  private static final SecureRandom RANDOM = new SecureRandom();
  /** csi-lib's mode for every file when a group applies ({@code readOnlyUserAndGroupFileMode}). */
  static final int GROUP_READABLE = 0440;
  /** Undecided waits for one CertificateRequest after which the plugin forgets it. */
  static final int MAX_WAITS = 5;
  /** How long the memory of a volume no fetch asks for is kept. */
  static final Duration FORGET_AFTER = Duration.ofMinutes(30);

  private final CertManagerConfig config;
  private final BackendContext context;
  private final KubernetesApi api;
  private final Logger log;
  private final Map<String, VolumeState> volumes = new ConcurrentHashMap<>();

  /** A CertificateRequest created for a volume and not yet decided, with its key. */
  private record Pending(String name, KeyPair key, CertificateAttributes volume, String podUid) {}

  private static final class VolumeState {
    Pending pending;
    /** Undecided waits for {@link #pending}. */
    int waits;
    /** When a fetch last asked for this volume. */
    volatile Instant touched;
  }

  CertManagerBackend(CertManagerConfig config, BackendContext context) {
    this.config = config;
    this.context = context;
    this.api = new KubernetesApi(config);
    this.log = LoggerFactory.getLogger(context.loggerName());
  }

  @Override
  public CertificateAttributes prepare(Map<String, String> attributes) throws BackendException {
    CertificateAttributes parsed =
        CertificateAttributes.parse(attributes, config.defaultKeyAlgorithm(), log::warn);
    requireIdentity(parsed);
    return parsed;
  }

  /**
   * A certificate needs a name (csi-driver's documentation asks for at least one): without one the
   * request has an empty subject and no SAN, which cert-manager issues and no JDK or TLS peer
   * accepts. Refused before any API call, so that kubelet's retries issue nothing.
   */
  static void requireIdentity(CertificateAttributes attributes) throws BackendException {
    CertificateAttributes.Templates names = attributes.templates();
    if (names.commonName().isEmpty() && names.dnsNames().isEmpty() && names.uriSans().isEmpty()
        && attributes.ipSans().isEmpty()) {
      throw BackendException.invalid("invalid certmanager volume attributes: the certificate has"
          + " no identity; set at least one of " + CertificateAttributes.COMMON_NAME + ", "
          + CertificateAttributes.DNS_NAMES + ", " + CertificateAttributes.IP_SANS + " or "
          + CertificateAttributes.URI_SANS);
    }
  }

  @Override
  public Material fetch(CertificateAttributes attributes, FetchRequest request)
      throws BackendException {
    Instant now = context.clock().instant();
    forgetIdle(now);

    Optional<Material> current = switch (request.reason()) {
      case TOKENS_ROTATED -> unchanged(attributes, request);
      case RECOVERED -> stillValid(attributes, request, now);
      case INITIAL, DUE, CHANGED -> Optional.empty();
    };
    if (current.isPresent()) {
      return current.get();
    }

    Duration budget = Duration.between(now, request.deadline());
    if (budget.compareTo(config.timeout()) > 0) {
      budget = config.timeout();
    }
    if (budget.isNegative() || budget.isZero()) {
      throw new BackendException(Kind.DEADLINE_EXCEEDED, "no time left to request a certificate"
          + " before the publish deadline");
    }

    VolumeState state = volumes.computeIfAbsent(request.volumeId(), id -> new VolumeState());
    state.touched = now;
    // The host serialises calls per volume; this guards the state against a host that does not.
    synchronized (state) {
      try {
        return issue(attributes, request, state, budget);
      } finally {
        // Nothing pending, nothing worth remembering: a volume that keeps failing costs nothing.
        if (state.pending == null) {
          volumes.remove(request.volumeId(), state);
        }
      }
    }
  }

  private Material issue(CertificateAttributes attributes, FetchRequest request, VolumeState state,
      Duration budget) throws BackendException {
    Pod pod = request.pod();
    Pending pending = state.pending;
    if (pending != null && (!pending.volume().equals(attributes)
        || !pending.podUid().equals(pod.uid()))) {
      pending = null;
    }
    try (CertificateRequests requests = api.forPod(request.token(AUDIENCE), pod.namespace(),
        request.budget())) {
      if (pending == null) {
        state.pending = null;
        pending = create(requests, attributes, request);
        state.pending = pending;
        state.waits = 0;
      } else {
        log.info("volume {}: resuming CertificateRequest {}/{}", request.volumeId(),
            pod.namespace(), pending.name());
      }
      CertificateRequests.Decision decision;
      try {
        decision = requests.await(pending.name(), budget);
      } catch (BackendException e) {
        if (e.kind() == Kind.NOT_FOUND) {
          // Someone deleted the pending request: the next attempt starts a new one.
          state.pending = null;
          throw new BackendException(Kind.UNAVAILABLE, e.getMessage() + "; Passport will create"
              + " a new one on the next attempt", e);
        }
        if (e.kind() == Kind.DEADLINE_EXCEEDED && ++state.waits >= MAX_WAITS) {
          // Bounded: a request no one decides is not waited for (nor its key kept) forever.
          log.warn("volume {}: CertificateRequest {}/{} is still undecided after {} attempts;"
              + " the next attempt creates a new one", request.volumeId(), pod.namespace(),
              pending.name(), state.waits);
          state.pending = null;
        }
        throw e;
      }
      state.pending = null;
      return materialize(attributes, request, pending, decision);
    }
  }

  /**
   * {@code previous} unchanged for a token rotation: the certificate has a lifetime of its own and
   * the host says it is not due, so a new token is no reason to issue. Only a volume that lacks a
   * file the attributes need, or whose certificate does not certify its key, is issued again.
   */
  private Optional<Material> unchanged(CertificateAttributes attributes, FetchRequest request) {
    Material previous = request.previous().orElseThrow();
    if (usable(attributes, previous).isPresent()) {
      return Optional.of(previous);
    }
    log.info("volume {}: its files lack a certificate matching its key; issuing a new one",
        request.volumeId());
    return Optional.empty();
  }

  /**
   * The previous material again, when it was read back from the volume with the host's state lost
   * ({@link FetchRequest.Reason#RECOVERED}) and its certificate is not yet due for renewal: a
   * restart must not cost every pod a new certificate.
   */
  private Optional<Material> stillValid(CertificateAttributes attributes, FetchRequest request,
      Instant now) {
    Material previous = request.previous().orElseThrow();
    Optional<IssuedCertificate> certificate = usable(attributes, previous);
    if (certificate.isEmpty()) {
      return Optional.empty();
    }
    Instant renewal = certificate.get().renewalTime(attributes.renewBefore());
    if (!now.isBefore(renewal)) {
      return Optional.empty();
    }
    OptionalInt group = group(attributes, request);
    List<MaterialFile> files = new ArrayList<>();
    for (MaterialFile file : previous.files()) {
      files.add(file(file.path(), file.content(), group));
    }
    return Optional.of(grouped(Material.of(files), attributes)
        .withRefreshAt(renewal)
        .withExpiresAt(certificate.get().notAfter())
        .withVersion(previous.version().orElse(certificate.get().serialHex())));
  }

  /**
   * The certificate of {@code previous} when it holds every file the attributes ask for and its
   * certificate certifies its key.
   */
  private static Optional<IssuedCertificate> usable(CertificateAttributes attributes,
      Material previous) {
    Optional<MaterialFile> certificateFile = previous.file(attributes.certificateFile());
    Optional<MaterialFile> keyFile = previous.file(attributes.privateKeyFile());
    if (certificateFile.isEmpty() || keyFile.isEmpty() || previous.file(attributes.caFile()).isEmpty()
        || (attributes.pkcs12().isPresent() && previous.file(attributes.pkcs12().get().filename()).isEmpty())) {
      return Optional.empty();
    }
    Optional<IssuedCertificate> certificate = IssuedCertificate.parse(certificateFile.get().content());
    Optional<KeyPair> key = KeySpec.decode(keyFile.get().content());
    if (certificate.isEmpty() || key.isEmpty() || !certificate.get().certifies(key.get())) {
      return Optional.empty();
    }
    return certificate;
  }

  /**
   * The group the volume's files get, by csi-lib's rule: {@code fs-group} wins over the pod's
   * {@code fsGroup} (kubelet's {@code volume_mount_group}).
   */
  static OptionalInt group(CertificateAttributes attributes, FetchRequest request) {
    // The attribute was bound to 1..Integer.MAX_VALUE by CertificateAttributes.
    return attributes.fsGroup().isPresent()
        ? OptionalInt.of((int) attributes.fsGroup().getAsLong()) : request.mountGroup();
  }

  /**
   * A file as csi-lib writes it when a group applies: {@code 0440}, owner and group read only.
   * Without any group the mode is the host's default (its {@code --default-file-mode}, 0644):
   * csi-driver's {@code 0440 root:root} would leave a non-root pod unable to read its key.
   */
  private static MaterialFile file(String path, byte[] content, OptionalInt group) {
    return group.isPresent() ? MaterialFile.of(path, content, GROUP_READABLE)
        : MaterialFile.of(path, content);
  }

  /** {@code material} with the attribute's group for the host, if the volume sets one. */
  private static Material grouped(Material material, CertificateAttributes attributes) {
    return attributes.fsGroup().isPresent()
        ? material.withGroup((int) attributes.fsGroup().getAsLong()) : material;
  }

  /** Forgets volumes no fetch has asked about for {@link #FORGET_AFTER}. */
  private void forgetIdle(Instant now) {
    Instant cutoff = now.minus(FORGET_AFTER);
    volumes.entrySet().removeIf(entry -> {
      Instant touched = entry.getValue().touched;
      return touched != null && touched.isBefore(cutoff);
    });
  }

  /** How many volumes the plugin remembers (a request pending for each). */
  int remembered() {
    return volumes.size();
  }

  private Pending create(CertificateRequests requests, CertificateAttributes attributes,
      FetchRequest request) throws BackendException {
    Pod pod = request.pod();
    KeyPair key = key(attributes, request);
    byte[] csr = CertificateSigningRequests.build(attributes, pod, key);
    String volumeLabel = labelValue(request.volumeId());
    String name = "passport-" + HexFormat.of().formatHex(randomBytes(8));

    Map<String, String> annotations = new LinkedHashMap<>(attributes.annotations());
    annotations.put(VOLUME_ID_ANNOTATION, request.volumeId());

    GenericKubernetesResource resource = new GenericKubernetesResourceBuilder()
        .withApiVersion("cert-manager.io/v1")
        .withKind("CertificateRequest")
        .withNewMetadata()
            .withName(name)
            .withNamespace(pod.namespace())
            .withLabels(Map.of(VOLUME_LABEL, volumeLabel, NODE_LABEL, labelValue(context.nodeId())))
            .withAnnotations(annotations)
            // No blockOwnerDeletion: setting it needs update rights on the pod's finalizers,
            // which the pod's own service account does not have.
            .withOwnerReferences(new OwnerReferenceBuilder()
                .withApiVersion("v1")
                .withKind("Pod")
                .withName(pod.name())
                .withUid(pod.uid())
                .build())
        .endMetadata()
        .build();
    resource.setAdditionalProperty("spec", spec(attributes, csr));

    requests.create(resource);
    log.info("volume {}: created CertificateRequest {}/{} for issuer {} {}", request.volumeId(),
        pod.namespace(), name, attributes.issuerKind(), attributes.issuerName());
    deleteOthers(requests, request.volumeId(), volumeLabel, name);
    return new Pending(name, key, attributes, pod.uid());
  }

  /** The CertificateRequest's {@code spec}: the CSR, the issuer and what the volume asks for. */
  static Map<String, Object> spec(CertificateAttributes attributes, byte[] csr) {
    Map<String, Object> issuerRef = new LinkedHashMap<>();
    issuerRef.put("name", attributes.issuerName());
    issuerRef.put("kind", attributes.issuerKind());
    issuerRef.put("group", attributes.issuerGroup());
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("request", Base64.getEncoder().encodeToString(csr));
    spec.put("issuerRef", issuerRef);
    // The API's metav1.Duration is Go's String() form, whichever syntax the attribute used.
    spec.put("duration", Durations.formatGo(attributes.duration()));
    spec.put("usages", attributes.usages());
    spec.put("isCA", attributes.isCa());
    return spec;
  }

  private KeyPair key(CertificateAttributes attributes, FetchRequest request) throws BackendException {
    if (attributes.reusePrivateKey() && request.previous().isPresent()) {
      Optional<KeyPair> previous = request.previous().get().file(attributes.privateKeyFile())
          .flatMap(file -> KeySpec.decode(file.content()))
          .filter(pair -> attributes.key().matches(pair.getPublic()));
      if (previous.isPresent()) {
        return previous.get();
      }
      // As csi-driver: a missing or unreadable old key means a new one.
      log.info("volume {}: no reusable {} key in the volume; generating a new one",
          request.volumeId(), attributes.key().algorithm());
    }
    try {
      return attributes.key().generate();
    } catch (GeneralSecurityException e) {
      throw new BackendException(Kind.INTERNAL, "could not generate a " + attributes.key().algorithm()
          + " key: " + e.getMessage(), e);
    }
  }

  /** Keeps at most one request per volume. A failure here never fails the fetch. */
  private void deleteOthers(CertificateRequests requests, String volumeId, String volumeLabel,
      String keep) {
    try {
      for (String name : requests.namesLabelled(VOLUME_LABEL, volumeLabel)) {
        if (!name.equals(keep)) {
          requests.delete(name);
          log.info("volume {}: deleted old CertificateRequest {}", volumeId, name);
        }
      }
    } catch (BackendException e) {
      log.warn("volume {}: could not delete old CertificateRequests (owner references remove them"
          + " with the pod): {}", volumeId, e.getMessage());
    }
  }

  private Material materialize(CertificateAttributes attributes, FetchRequest request,
      Pending pending, CertificateRequests.Decision decision) throws BackendException {
    Pod pod = request.pod();
    String where = "CertificateRequest " + pod.namespace() + "/" + pending.name();
    if (decision instanceof CertificateRequests.Decision.Denied denied) {
      throw new BackendException(Kind.PERMISSION_DENIED, where + " was denied"
          + describe(denied.reason(), denied.message()));
    }
    if (decision instanceof CertificateRequests.Decision.Failed failed) {
      throw new BackendException(Kind.FAILED_PRECONDITION, where + " failed"
          + describe(failed.reason(), failed.message()));
    }
    GenericKubernetesResource issued = ((CertificateRequests.Decision.Issued) decision).request();
    byte[] chainPem = statusBytes(issued, "certificate", where);
    byte[] caPem = statusBytes(issued, "ca", where);
    IssuedCertificate certificate = IssuedCertificate.parse(chainPem).orElseThrow(() ->
        new BackendException(Kind.INTERNAL, where + " is Ready but status.certificate holds no"
            + " PEM certificate"));
    if (!certificate.certifies(pending.key())) {
      throw new BackendException(Kind.INTERNAL, where + " returned a certificate for another key");
    }
    try {
      OptionalInt group = group(attributes, request);
      List<MaterialFile> files = new ArrayList<>();
      files.add(file(attributes.certificateFile(), chainPem, group));
      files.add(file(attributes.privateKeyFile(), attributes.key().encode(pending.key().getPrivate()), group));
      files.add(file(attributes.caFile(), caPem, group));
      if (attributes.pkcs12().isPresent()) {
        CertificateAttributes.Pkcs12 pkcs12 = attributes.pkcs12().get();
        files.add(file(pkcs12.filename(),
            certificate.pkcs12(pending.key(), pkcs12.password(), pkcs12.profile()), group));
      }
      return grouped(Material.of(files), attributes)
          .withRefreshAt(certificate.renewalTime(attributes.renewBefore()))
          .withExpiresAt(certificate.notAfter())
          .withVersion(pending.name());
    } catch (IOException | GeneralSecurityException e) {
      throw new BackendException(Kind.INTERNAL, "could not encode the key or keystore of " + where
          + ": " + e.getMessage(), e);
    }
  }

  private static String describe(String reason, String message) {
    return (reason.isEmpty() ? "" : " (" + reason + ")") + (message.isEmpty() ? "" : ": " + message);
  }

  private static byte[] statusBytes(GenericKubernetesResource request, String field, String where)
      throws BackendException {
    Object status = request.getAdditionalProperties().get("status");
    Object value = status instanceof Map<?, ?> map ? map.get(field) : null;
    if (value == null) {
      return new byte[0];
    }
    try {
      return Base64.getDecoder().decode(String.valueOf(value));
    } catch (IllegalArgumentException e) {
      throw new BackendException(Kind.INTERNAL, where + " has a status." + field + " that is not base64");
    }
  }

  /**
   * {@code value} if it is a valid label value, else its SHA-256 in hex cut to the 63 characters
   * a label value may have (kubelet's volume ids, {@code csi-<64 hex>}, are 68).
   */
  static String labelValue(String value) {
    if (value.length() <= 63 && LABEL_VALUE.matcher(value).matches()) {
      return value;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 63);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  private static byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  @Override
  public void release(String volumeId) {
    // Requests left in the API are removed with the pod through their owner reference; kubelet
    // sends no token on unpublish, so the plugin could not delete them as the pod anyway.
    volumes.remove(volumeId);
  }

  @Override
  public void close() {
    volumes.clear();
  }
}
