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
 * piling up new ones.
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

  private final CertManagerConfig config;
  private final BackendContext context;
  private final KubernetesApi api;
  private final Logger log;
  private final Map<String, VolumeState> volumes = new ConcurrentHashMap<>();

  /** A CertificateRequest created for a volume and not yet decided, with its key. */
  private record Pending(String name, KeyPair key, CertificateAttributes volume, String podUid) {}

  private static final class VolumeState {
    Pending pending;
  }

  CertManagerBackend(CertManagerConfig config, BackendContext context) {
    this.config = config;
    this.context = context;
    this.api = new KubernetesApi(config);
    this.log = LoggerFactory.getLogger(context.loggerName());
  }

  @Override
  public CertificateAttributes prepare(Map<String, String> attributes) throws BackendException {
    return CertificateAttributes.parse(attributes, config.defaultKeyAlgorithm(), log::warn);
  }

  @Override
  public Material fetch(CertificateAttributes attributes, FetchRequest request)
      throws BackendException {
    Instant now = context.clock().instant();

    Optional<Material> current = stillValid(attributes, request, now);
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
    // The host serialises calls per volume; this guards the state against a host that does not.
    synchronized (state) {
      Pod pod = request.pod();
      Pending pending = state.pending;
      if (pending != null && (!pending.volume().equals(attributes)
          || !pending.podUid().equals(pod.uid()))) {
        pending = null;
      }
      try (CertificateRequests requests = api.forPod(request.token(AUDIENCE), pod.namespace(),
          request.budget())) {
        if (pending == null) {
          pending = create(requests, attributes, request);
          state.pending = pending;
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
          throw e;
        }
        state.pending = null;
        return materialize(attributes, pod, pending, decision);
      }
    }
  }

  /**
   * The previous material again, when it was read back from the volume after a host restart (no
   * {@code refreshAt}) and its certificate is not yet due for renewal: a restart must not cost
   * every pod a new certificate. Material that carries its {@code refreshAt} was fetched because
   * the host, with its jitter, decided it is due; that decision stands.
   */
  private Optional<Material> stillValid(CertificateAttributes attributes, FetchRequest request,
      Instant now) {
    if (request.previous().isEmpty() || request.previous().get().refreshAt().isPresent()) {
      return Optional.empty();
    }
    Material previous = request.previous().get();
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
    Instant renewal = certificate.get().renewalTime(attributes.renewBefore());
    if (!now.isBefore(renewal)) {
      return Optional.empty();
    }
    return Optional.of(Material.of(previous.files())
        .withRefreshAt(renewal)
        .withExpiresAt(certificate.get().notAfter())
        .withVersion(previous.version().orElse(certificate.get().serialHex())));
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

  private Material materialize(CertificateAttributes attributes, Pod pod, Pending pending,
      CertificateRequests.Decision decision) throws BackendException {
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
      List<MaterialFile> files = new ArrayList<>();
      files.add(MaterialFile.of(attributes.certificateFile(), chainPem));
      files.add(MaterialFile.of(attributes.privateKeyFile(), attributes.key().encode(pending.key().getPrivate())));
      files.add(MaterialFile.of(attributes.caFile(), caPem));
      if (attributes.pkcs12().isPresent()) {
        CertificateAttributes.Pkcs12 pkcs12 = attributes.pkcs12().get();
        files.add(MaterialFile.of(pkcs12.filename(), certificate.pkcs12(pending.key(), pkcs12.password(), pkcs12.profile())));
      }
      return Material.of(files)
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
