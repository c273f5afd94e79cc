package dev.passport.plugins.certmanager;

import dev.passport.support.Durations;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * A Kubernetes API server (fabric8's mock, CRUD mode, with the cert-manager.io/v1
 * CertificateRequest kind registered) and a cert-manager stand-in: a BouncyCastle CA that watches
 * CertificateRequests and issues, denies, fails or ignores them, as the test asks.
 */
final class FakeCertManager implements AutoCloseable {

  /** What the signer does with the next requests it sees. */
  enum Mode {
    ISSUE, DENY, FAIL, STALL,
    /** Ready, but with a status.certificate that is no certificate. */
    GARBAGE
  }

  /** The bearer token of the signer's own client, to tell its calls from the plugin's. */
  static final String SIGNER_TOKEN = "signer-token";
  private static final String QUIET_NAMESPACE = "fake-cert-manager-quiet";

  private final KubernetesMockServer server;
  private final KubernetesClient admin;
  private final Watch watch;
  private final Clock clock;
  private final KeyPair caKey;
  private final X509Certificate caCertificate;
  private final AtomicLong serials = new AtomicLong(1000);
  private final List<GenericKubernetesResource> created = new CopyOnWriteArrayList<>();
  private final Map<String, PKCS10CertificationRequest> csrs = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.CountDownLatch> echoes = new ConcurrentHashMap<>();
  private volatile Mode mode = Mode.ISSUE;
  private volatile int apiFailure;
  private volatile boolean noWebSocket;
  private volatile boolean deterministic;
  private final Map<String, X509Certificate> issuedByKey = new ConcurrentHashMap<>();
  private boolean closed;
  private volatile String verdictMessage = "";
  private volatile int chainAtLeast;
  private final Set<String> bearerTokensSeen = ConcurrentHashMap.newKeySet();

  FakeCertManager(Clock clock) throws Exception {
    this.clock = clock;
    CustomResourceDefinitionContext certificateRequests = new CustomResourceDefinitionContext.Builder()
        .withGroup("cert-manager.io")
        .withVersion("v1")
        .withKind("CertificateRequest")
        .withPlural("certificaterequests")
        .withScope("Namespaced")
        .withStatusSubresource(true)
        .build();
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new FailingCrudDispatcher(List.of(certificateRequests)), false);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    admin = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(url())
            .withOauthToken(SIGNER_TOKEN).build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();

    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", KeySpec.BC);
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    caKey = generator.generateKeyPair();
    caCertificate = sign(new X500Name("CN=Fake cert-manager CA"), caKey.getPublic(),
        clock.instant().minus(Duration.ofDays(1)), Duration.ofDays(3650), true, null);

    watch = admin.genericKubernetesResources(CertificateRequests.CONTEXT).inAnyNamespace()
        .watch(new Watcher<>() {
          @Override
          public void eventReceived(Action action, GenericKubernetesResource resource) {
            if (QUIET_NAMESPACE.equals(resource.getMetadata().getNamespace())) {
              echoes.getOrDefault(resource.getMetadata().getName(),
                  new java.util.concurrent.CountDownLatch(1)).countDown();
              return;
            }
            if (action == Action.ADDED) {
              created.add(resource);
              act(resource);
            }
          }

          @Override
          public void onClose(WatcherException cause) {}
        });
    // The mock serves each watch from a (non-daemon) thread that starts with its first event:
    // start it now, so that thread checks in tests do not take it for the plugin's.
    echo("warm-up");
  }

  /** The API server URL for the plugin's {@code apiServer}. */
  String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** The client the signer uses, with no token, for assertions and arranging state. */
  KubernetesClient admin() {
    return admin;
  }

  void mode(Mode mode, String message) {
    this.mode = mode;
    this.verdictMessage = message;
  }

  void mode(Mode mode) {
    mode(mode, "");
  }

  /**
   * Makes the API server answer every call but the signer's with HTTP {@code code} (a Kubernetes
   * Status body); 0 restores normal service.
   */
  void failApi(int code) {
    this.apiFailure = code;
  }

  /**
   * Makes the API server answer the plugin's watches as a proxy without WebSocket support does:
   * {@code 200} to the upgrade, no {@code 101}, and a body that does not come. Other calls are
   * served as usual, so a client that polls still sees the signer's verdict.
   */
  void noWebSocket(boolean noWebSocket) {
    this.noWebSocket = noWebSocket;
  }

  /**
   * Makes issuance idempotent: a CSR for a key seen before gets the very same certificate bytes,
   * as the conformance suite's "same input, same content" asks.
   */
  void deterministic(boolean deterministic) {
    this.deterministic = deterministic;
  }

  /**
   * Makes the signer pad each chain it issues (leaf first) with copies of its CA certificate until
   * its PEM holds at least {@code bytes}: a hostile or broken issuer's oversized
   * {@code status.certificate}. 0 restores plain chains.
   */
  void chainAtLeast(int bytes) {
    this.chainAtLeast = bytes;
  }

  /**
   * Waits until a client other than the signer has opened a watch on CertificateRequests in
   * {@code namespace}; consumes the recorded requests up to it.
   */
  void awaitWatch(String namespace) throws InterruptedException {
    String path = "/apis/cert-manager.io/v1/namespaces/" + namespace + "/certificaterequests";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      RecordedRequest request = server.takeRequest(1, TimeUnit.SECONDS);
      if (request != null && request.getPath().startsWith(path) && request.getPath().contains("watch=true")
          && !("Bearer " + SIGNER_TOKEN).equals(request.getHeader("Authorization"))) {
        return;
      }
    }
    throw new IllegalStateException("no watch on " + path + " within 30 s");
  }

  /** The CA's certificate, whose PEM the signer puts in {@code status.ca}. */
  X509Certificate caCertificate() {
    return caCertificate;
  }

  /** Every CertificateRequest created so far, as the signer first saw it. */
  List<GenericKubernetesResource> created() {
    return List.copyOf(created);
  }

  /** The CSR of the request named {@code name}. */
  PKCS10CertificationRequest csr(String name) {
    return csrs.get(name);
  }

  /** The requests that exist now in {@code namespace}. */
  List<String> existing(String namespace) {
    List<String> names = new ArrayList<>();
    for (GenericKubernetesResource item : admin.genericKubernetesResources(CertificateRequests.CONTEXT)
        .inNamespace(namespace).list().getItems()) {
      names.add(item.getMetadata().getName());
    }
    return names;
  }

  /** Issues every request that is still undecided, as a signer that was down would on return. */
  void issueUndecided(String namespace) {
    for (GenericKubernetesResource item : admin.genericKubernetesResources(CertificateRequests.CONTEXT)
        .inNamespace(namespace).list().getItems()) {
      if (CertificateRequests.decide(item) instanceof CertificateRequests.Decision.Pending) {
        issue(item);
      }
    }
  }

  /** The bearer tokens of every call the API server received from clients other than the signer. */
  Set<String> bearerTokensSeen() {
    return Set.copyOf(bearerTokensSeen);
  }

  /** Requests received by the API server since the last call, oldest first. */
  List<RecordedRequest> takeRequests() throws InterruptedException {
    List<RecordedRequest> requests = new ArrayList<>();
    RecordedRequest request;
    while ((request = server.takeRequest(0, TimeUnit.MILLISECONDS)) != null) {
      requests.add(request);
    }
    return requests;
  }

  private void act(GenericKubernetesResource resource) {
    switch (mode) {
      case ISSUE -> issue(resource);
      case DENY -> conclude(resource, List.of(
          condition("Denied", "True", "policy.cert-manager.io", verdictMessage),
          condition("Ready", "False", "Denied", "The CertificateRequest was denied by an approval controller")),
          null);
      case FAIL -> conclude(resource, List.of(
          condition("Ready", "False", "Failed", verdictMessage)), null);
      case STALL -> { }
      case GARBAGE -> conclude(resource, List.of(condition("Ready", "True", "Issued", "")),
          Map.of("certificate", Base64.getEncoder().encodeToString("garbage".getBytes(StandardCharsets.US_ASCII))));
    }
  }

  private void issue(GenericKubernetesResource resource) {
    try {
      Map<?, ?> spec = (Map<?, ?>) resource.getAdditionalProperties().get("spec");
      String pem = new String(Base64.getDecoder().decode((String) spec.get("request")), StandardCharsets.US_ASCII);
      PKCS10CertificationRequest csr;
      try (PEMParser parser = new PEMParser(new StringReader(pem))) {
        csr = (PKCS10CertificationRequest) parser.readObject();
      }
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(KeySpec.BC)
          .build(csr.getSubjectPublicKeyInfo()))) {
        conclude(resource, List.of(condition("Ready", "False", "Failed", "CSR signature invalid")), null);
        return;
      }
      csrs.put(resource.getMetadata().getName(), csr);
      Duration duration = Durations.parse((String) spec.get("duration"));
      Extensions requested = csr.getRequestedExtensions();
      PublicKey subjectKey = new JcaPKCS10CertificationRequest(csr).setProvider(KeySpec.BC).getPublicKey();
      String keyId = Base64.getEncoder().encodeToString(subjectKey.getEncoded());
      X509Certificate leaf = deterministic ? issuedByKey.get(keyId) : null;
      if (leaf == null) {
        leaf = sign(csr.getSubject(), subjectKey, clock.instant(), duration,
            Boolean.TRUE.equals(spec.get("isCA")), requested);
        issuedByKey.put(keyId, leaf);
      }
      Map<String, Object> status = new LinkedHashMap<>();
      status.put("certificate", Base64.getEncoder().encodeToString(chain(leaf)));
      status.put("ca", Base64.getEncoder().encodeToString(pem(caCertificate)));
      conclude(resource, List.of(condition("Ready", "True", "Issued",
          "Certificate fetched from issuer successfully")), status);
    } catch (Exception e) {
      throw new IllegalStateException("fake signer failed on " + resource.getMetadata().getName(), e);
    }
  }

  private void conclude(GenericKubernetesResource resource, List<Map<String, Object>> conditions,
      Map<String, Object> extra) {
    GenericKubernetesResource current = admin.genericKubernetesResources(CertificateRequests.CONTEXT)
        .inNamespace(resource.getMetadata().getNamespace())
        .withName(resource.getMetadata().getName()).get();
    if (current == null) {
      return;
    }
    Map<String, Object> status = new LinkedHashMap<>();
    if (extra != null) {
      status.putAll(extra);
    }
    status.put("conditions", conditions);
    current.setAdditionalProperty("status", status);
    admin.genericKubernetesResources(CertificateRequests.CONTEXT)
        .inNamespace(resource.getMetadata().getNamespace()).resource(current).updateStatus();
  }

  /** The CRUD dispatcher, except while {@link #failApi} is set: then calls not from the signer fail. */
  private final class FailingCrudDispatcher extends KubernetesCrudDispatcher {
    FailingCrudDispatcher(List<CustomResourceDefinitionContext> resources) {
      super(resources);
    }

    @Override
    public io.fabric8.mockwebserver.http.MockResponse dispatch(RecordedRequest request) {
      String authorization = request.getHeader("Authorization");
      if (authorization != null && authorization.startsWith("Bearer ")
          && !authorization.equals("Bearer " + SIGNER_TOKEN)) {
        bearerTokensSeen.add(authorization.substring("Bearer ".length()));
      }
      boolean signer = ("Bearer " + SIGNER_TOKEN).equals(request.getHeader("Authorization"));
      if (noWebSocket && !signer && request.getPath().contains("watch=true")) {
        return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(200)
            .setHeader("Content-Type", "application/json")
            .setBody("{}").setBodyDelay(Duration.ofMinutes(10));
      }
      int code = apiFailure;
      if (code != 0 && !("Bearer " + SIGNER_TOKEN).equals(request.getHeader("Authorization"))) {
        return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(code).setBody(
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + code
                + ",\"message\":\"the fake API server answers " + code + "\"}");
      }
      return super.dispatch(request);
    }
  }

  private static Map<String, Object> condition(String type, String status, String reason, String message) {
    Map<String, Object> condition = new LinkedHashMap<>();
    condition.put("type", type);
    condition.put("status", status);
    condition.put("reason", reason);
    condition.put("message", message);
    return condition;
  }

  private X509Certificate sign(X500Name subject, PublicKey key, Instant notBefore, Duration duration,
      boolean isCa, Extensions requested) throws GeneralSecurityException, IOException {
    X500Name issuer = caCertificate == null ? subject
        : X500Name.getInstance(caCertificate.getSubjectX500Principal().getEncoded());
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
        BigInteger.valueOf(serials.incrementAndGet()), Date.from(notBefore),
        Date.from(notBefore.plus(duration)), subject, key);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (requested != null && requested.getExtension(Extension.subjectAlternativeName) != null) {
      builder.addExtension(requested.getExtension(Extension.subjectAlternativeName));
    }
    try {
      return new JcaX509CertificateConverter().setProvider(KeySpec.BC).getCertificate(builder.build(
          new JcaContentSignerBuilder("SHA256withECDSA").setProvider(KeySpec.BC).build(caKey.getPrivate())));
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** The leaf's PEM, padded with CA certificates up to {@link #chainAtLeast}. */
  private byte[] chain(X509Certificate leaf) throws IOException, GeneralSecurityException {
    byte[] leafPem = pem(leaf);
    byte[] caPem = pem(caCertificate);
    ByteArrayOutputStream chain = new ByteArrayOutputStream();
    chain.write(leafPem);
    while (chain.size() < chainAtLeast) {
      chain.write(caPem);
    }
    return chain.toByteArray();
  }

  static byte[] pem(X509Certificate certificate) throws IOException, GeneralSecurityException {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject("CERTIFICATE", certificate.getEncoded()));
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Creates a marker object and waits until the signer's watch has seen it: events reach a watch
   * in order, so every event before it has arrived too.
   */
  private void echo(String name) {
    java.util.concurrent.CountDownLatch seen = new java.util.concurrent.CountDownLatch(1);
    echoes.put(name, seen);
    GenericKubernetesResource marker = new GenericKubernetesResource();
    marker.setApiVersion("cert-manager.io/v1");
    marker.setKind("CertificateRequest");
    marker.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
        .withName(name).withNamespace(QUIET_NAMESPACE).build());
    try {
      admin.genericKubernetesResources(CertificateRequests.CONTEXT).inNamespace(QUIET_NAMESPACE)
          .resource(marker).create();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      // fabric8 retries a POST whose answer came late (a loaded machine); the retry then meets
      // the object its first attempt created. It exists either way, so its event is on its way.
      if (e.getCode() != 409) {
        throw e;
      }
    }
    try {
      // A bound for a broken watch only: on a loaded 2-core CI machine an event can take seconds.
      if (!seen.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the signer's watch did not see marker " + name + " in 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Closes the signer's watch only once every event meant for it has arrived: fabric8's mock
   * stalls its event loop when a watch closes while an event is being sent to it
   * (WatchEventsListener.onClosed awaits a send that needs that very loop). Events reach a watch in
   * order, so the echo of a marker object created last means nothing else is in flight.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      echo("quiet");
    } catch (RuntimeException e) {
      // Only a courtesy to the mock's event loop (see above): a test's outcome is already decided,
      // and a slow echo on a loaded machine must not turn a passed test into an error.
    } finally {
      watch.close();
      admin.close();
    }
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // fabric8's mock can stall its event loop for a while when a watch closes mid-send
      // (WatchEventsListener.onClosed awaits a send that needs that loop); the port is freed
      // regardless, and the next test starts its own server.
    }
  }
}
