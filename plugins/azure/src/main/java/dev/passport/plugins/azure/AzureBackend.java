package dev.passport.plugins.azure;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.azure.core.util.Context;
import com.azure.security.keyvault.keys.models.JsonWebKey;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.ServiceAccountToken;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Key Vault secrets, keys and certificates as the pod: the pod's token for
 * {@code api://AzureADTokenExchange} is the client assertion of Entra workload identity
 * (azure-identity's {@code ClientAssertionCredential}), and the objects are read with the Key
 * Vault secret and key clients, in parallel, within the fetch's deadline.
 *
 * <p>Reads happen only when due: a token rotation gets the volume's current material back, and
 * material made only of pinned versions is refreshed at {@code pinnedRefreshInterval}; anything
 * naming the latest version at the host's refresh interval.
 */
final class AzureBackend implements Backend<AzureVolume> {

  static final int READ_THREADS = 8;
  // Key Vault pages hold 25 versions: 40 pages, far past any real history, bound a listing
  static final int MAX_VERSIONS_LISTED = 1000;
  static final Duration HTTP_TIMEOUT = Duration.ofSeconds(30);

  private final AzureConfig config;
  private final BackendContext context;
  private final Logger log;
  private final SSLContext tls;
  // made on the first fetch: a node whose pods never mount Key Vault pays for no SDK client
  private volatile VaultClients clients;
  private volatile ExecutorService readers;
  private final Optional<ServiceAccountAnnotations> annotations;

  AzureBackend(AzureConfig config, BackendContext context, SSLContext tls) throws BackendException {
    this.config = config;
    this.context = context;
    this.log = LoggerFactory.getLogger(context.loggerName());
    this.tls = tls;
    this.annotations = config.kubernetes().isEmpty() ? Optional.empty()
        : Optional.of(new ServiceAccountAnnotations(config.kubernetes().get(), context.clock()));
  }

  @Override
  public AzureVolume prepare(Map<String, String> attributes) throws BackendException {
    AzureVolume volume = AzureVolume.parse(attributes, config);
    if (!volume.ignored().isEmpty()) {
      log.warn("volume with key vault {}: ignoring {}, as provider-azure does; remove them",
          volume.keyvaultName(), volume.ignored());
    }
    return volume;
  }

  @Override
  public Material fetch(AzureVolume volume, FetchRequest request) throws BackendException {
    Duration budget = Duration.between(context.clock().instant(), request.deadline());
    if (budget.isNegative() || budget.isZero()) {
      throw new BackendException(DEADLINE_EXCEEDED,
          "the fetch deadline passed before Key Vault could be called");
    }
    long deadlineNanos = System.nanoTime() + budget.toNanos();
    refuseNodePublishSecrets(request);
    if (request.reason() == FetchRequest.Reason.TOKENS_ROTATED && request.previous().isPresent()) {
      // nothing is due: Key Vault material does not depend on the token it was read with, and
      // the next due refresh reads with the new one
      return request.previous().get();
    }
    ServiceAccountToken token = request.token(AzureVolume.AUDIENCE);
    VaultClients.Identity identity = new VaultClients.Identity(
        request.pod().uid(),
        volume.tenantId().or(config::tenantId).orElseThrow(),
        clientId(volume, request),
        config.authorityHostFor(volume.cloud()));
    String vaultUrl = config.vaultUrl(volume.cloud(), volume.keyvaultName());
    VaultClients.Clients vault = clients().clients(identity, token.token(), vaultUrl);
    Context calls = JdkHttpClient.withBudget(request.budget());

    List<Future<List<MaterialFile>>> reads = new ArrayList<>();
    try {
      for (KeyVaultObject object : volume.objects()) {
        reads.add(submit(() -> read(vault, object, calls)));
      }
    } catch (BackendException e) {
      reads.forEach(r -> r.cancel(true));
      throw e;
    }
    List<MaterialFile> files = new ArrayList<>();
    List<BackendException> failures = new ArrayList<>();
    for (int i = 0; i < reads.size(); i++) {
      KeyVaultObject object = volume.objects().get(i);
      try {
        files.addAll(reads.get(i).get(remaining(deadlineNanos), TimeUnit.NANOSECONDS));
      } catch (TimeoutException | CancellationException e) {
        failures.add(AzureErrors.deadline(object));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        reads.forEach(r -> r.cancel(true));
        throw new BackendException(UNAVAILABLE, "interrupted while reading Key Vault", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        failures.add(cause instanceof BackendException b ? b : AzureErrors.of(cause, object,
            identity));
      }
    }
    if (!failures.isEmpty()) {
      reads.forEach(r -> r.cancel(true));
      if (failures.stream().anyMatch(f -> f.kind() == UNAUTHENTICATED)) {
        // the cached access token or the assertion was refused: exchange afresh next time
        clients().evict(identity);
      }
      throw combined(failures, volume.objects().size());
    }
    checkUnique(files);
    Material material = Material.of(files);
    log.debug("volume {}: read {} file(s) from key vault {}", request.volumeId(), files.size(),
        volume.keyvaultName());
    return volume.allPinned()
        ? material.withRefreshAt(context.clock().instant().plus(config.pinnedRefreshInterval()))
        : material;
  }

  /** The volume's clientID, else the service account's annotation when the operator enabled it. */
  private String clientId(AzureVolume volume, FetchRequest request) throws BackendException {
    if (volume.clientId().isPresent()) {
      return volume.clientId().get();
    }
    Optional<String> annotated = annotations.isPresent()
        ? annotations.get().clientId(request.pod().namespace(), request.pod().serviceAccount())
        : Optional.empty();
    if (annotated.isEmpty()) {
      throw BackendException.invalid("clientID is not provided and service account "
          + request.pod().namespace() + "/" + request.pod().serviceAccount() + " has no "
          + ServiceAccountAnnotations.CLIENT_ID + " annotation: set clientID in the volume or"
          + " annotate the service account with the identity's client id");
    }
    if (!AzureVolume.GUID.matcher(annotated.get()).matches()) {
      throw BackendException.invalid("the " + ServiceAccountAnnotations.CLIENT_ID + " annotation"
          + " of service account " + request.pod().namespace() + "/"
          + request.pod().serviceAccount() + " is not a client id (a GUID)");
    }
    return annotated.get();
  }

  /** The files of one object: one, or with objectVersionHistory a directory of versions. */
  private List<MaterialFile> read(VaultClients.Clients vault, KeyVaultObject object,
      Context calls) throws BackendException {
    if (object.versionHistory() <= 1) {
      return List.of(readOne(vault, object, object.fileName(), object.requestVersion(), calls));
    }
    List<String> versions = latestVersions(vault, object, calls);
    List<MaterialFile> files = new ArrayList<>(versions.size());
    for (int i = 0; i < versions.size(); i++) {
      files.add(readOne(vault, object, object.fileName() + "/" + i, versions.get(i), calls));
    }
    return files;
  }

  /**
   * provider-azure's getLatestNKeyVaultObjects: enabled versions newest first (by creation
   * date), starting at objectVersion when one is set, {@code objectVersionHistory} of them.
   */
  private static List<String> latestVersions(VaultClients.Clients vault, KeyVaultObject object,
      Context calls) throws BackendException {
    record Version(String id, OffsetDateTime created) {}
    List<Version> listed = new ArrayList<>();
    OffsetDateTime epoch = OffsetDateTime.parse("1970-01-01T00:00:00Z");
    Iterable<?> pages = object.type().equals(KeyVaultObject.KEY)
        ? vault.keys().listPropertiesOfKeyVersions(object.name(), calls)
        : vault.secrets().listPropertiesOfSecretVersions(object.name(), calls);
    for (Object item : pages) {
      if (listed.size() >= MAX_VERSIONS_LISTED) {
        throw new BackendException(INTERNAL, "failed to get " + object.describe() + ": it has"
            + " more than " + MAX_VERSIONS_LISTED + " versions; Passport lists at most that many");
      }
      Boolean enabled;
      String id;
      OffsetDateTime created;
      if (item instanceof KeyProperties key) {
        enabled = key.isEnabled();
        id = key.getVersion();
        created = key.getCreatedOn();
      } else {
        SecretProperties secret = (SecretProperties) item;
        enabled = secret.isEnabled();
        id = secret.getVersion();
        created = secret.getCreatedOn();
      }
      if (Boolean.FALSE.equals(enabled) || id == null) {
        continue;
      }
      listed.add(new Version(id, created == null ? epoch : created));
    }
    listed.sort(Comparator.comparing(Version::created).reversed());
    List<String> chosen = new ArrayList<>();
    boolean found = object.latest();
    for (Version version : listed) {
      found = found || version.id().equals(object.version());
      if (found) {
        chosen.add(version.id());
        if (chosen.size() >= object.versionHistory()) {
          break;
        }
      }
    }
    return chosen;
  }

  private MaterialFile readOne(VaultClients.Clients vault, KeyVaultObject object, String path,
      String version, Context calls) throws BackendException {
    byte[] content;
    try {
      content = switch (object.type()) {
        case KeyVaultObject.KEY -> keyPem(vault.keys().getKeyWithResponse(object.name(), version,
            calls).getValue());
        case KeyVaultObject.CERT -> certificatePem(object, vault.secrets().getSecretWithResponse(
            object.name(), version, calls).getValue());
        default -> secretContent(object, vault.secrets().getSecretWithResponse(object.name(),
            version, calls).getValue());
      };
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new BackendException(INTERNAL, "failed to get " + object.describe() + ": "
          + e.getMessage(), e);
    }
    return object.mode().isPresent()
        ? MaterialFile.of(path, content, object.mode().getAsInt())
        : MaterialFile.of(path, content);
  }

  /** provider-azure's getSecret and getContentBytes. */
  private byte[] secretContent(KeyVaultObject object, KeyVaultSecret secret)
      throws GeneralSecurityException, BackendException {
    String content = require(secret.getValue(), object, "secret value is nil");
    String kid = secret.getProperties().getKeyId();
    if (kid != null && !kid.isEmpty()) {
      // the secret backs a certificate: PEM as stored, a PFX as PEM unless objectFormat: pfx
      String type = String.valueOf(secret.getProperties().getContentType());
      if (type.equals(Formats.PFX_CONTENT_TYPE)) {
        if (!object.pfx()) {
          content = Formats.pfxToPem(content, config.constructPemChain());
        }
      } else if (!type.equals(Formats.PEM_CONTENT_TYPE)) {
        throw new BackendException(INTERNAL, "failed to get " + object.describe() + ": failed to"
            + " get certificate. unknown content type '" + type + "'");
      }
    }
    try {
      return Formats.decode(content, object.encoding());
    } catch (IllegalArgumentException e) {
      throw BackendException.invalid("failed to get " + object.describe() + ": the value is not "
          + object.encoding() + " (objectEncoding): " + e.getMessage());
    }
  }

  /** A cert object: the leaf certificate as PEM, read through the certificate's secret. */
  private static byte[] certificatePem(KeyVaultObject object, KeyVaultSecret secret)
      throws GeneralSecurityException, BackendException {
    String content = require(secret.getValue(), object, "certificate value is nil");
    String kid = secret.getProperties().getKeyId();
    if (kid == null || kid.isEmpty()) {
      throw BackendException.invalid("failed to get " + object.describe() + ": "
          + object.name() + " is a secret, not a certificate; use objectType: secret");
    }
    byte[] der = Formats.leafCertificate(content, secret.getProperties().getContentType());
    return Formats.pem("CERTIFICATE", der).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** provider-azure's getKey: the public key as PKIX PEM. */
  private static byte[] keyPem(KeyVaultKey key) throws GeneralSecurityException {
    JsonWebKey jwk = key.getKey();
    if (jwk == null || jwk.getKeyType() == null) {
      throw new GeneralSecurityException("key value is nil");
    }
    return Formats.publicKeyPem(jwk.getKeyType().toString(), jwk.getN(), jwk.getE(),
            jwk.getCurveName() == null ? null : jwk.getCurveName().toString(), jwk.getX(),
            jwk.getY())
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static String require(String value, KeyVaultObject object, String what)
      throws BackendException {
    if (value == null) {
      throw new BackendException(INTERNAL, "failed to get " + object.describe() + ": " + what);
    }
    return value;
  }

  /** Two objects writing one file would leave the volume to whichever came last: refused. */
  private static void checkUnique(List<MaterialFile> files) throws BackendException {
    TreeSet<String> seen = new TreeSet<>();
    for (MaterialFile file : files) {
      if (!seen.add(file.path())) {
        throw BackendException.invalid("two objects write the file " + file.path()
            + ": give one of them another objectAlias");
      }
    }
  }

  /**
   * provider-azure authenticates with a service principal's clientid/clientsecret from a
   * nodePublishSecretRef; Passport reads as the pod only. Key names only, never values.
   */
  private static void refuseNodePublishSecrets(FetchRequest request) throws BackendException {
    if (!request.nodePublishSecrets().isEmpty()) {
      throw new BackendException(INVALID_ARGUMENT, "the volume's nodePublishSecretRef carries "
          + new TreeSet<>(request.nodePublishSecrets().keySet()) + "; the azure plugin reads Key"
          + " Vault as the pod (Entra workload identity) and never with a service principal's"
          + " secret: remove nodePublishSecretRef, federate the identity with the pod's service"
          + " account and set clientID");
    }
  }

  private static BackendException combined(List<BackendException> failures, int total) {
    if (failures.size() == 1) {
      return failures.get(0);
    }
    StringBuilder message = new StringBuilder().append(failures.size()).append(" of ")
        .append(total).append(" objects could not be read, so nothing was written: ");
    for (int i = 0; i < failures.size(); i++) {
      message.append(i == 0 ? "" : "; ").append(failures.get(i).getMessage());
    }
    BackendException combined = new BackendException(AzureErrors.worst(failures),
        message.toString(), failures.get(0));
    failures.stream().skip(1).forEach(combined::addSuppressed);
    return combined;
  }

  private <T> Future<T> submit(Callable<T> task) throws BackendException {
    try {
      return readers().submit(task);
    } catch (RejectedExecutionException e) {
      throw new BackendException(UNAVAILABLE, "the azure backend is shutting down", e);
    }
  }

  private static long remaining(long deadlineNanos) {
    return Math.max(0, deadlineNanos - System.nanoTime());
  }

  private VaultClients clients() {
    VaultClients made = clients;
    if (made == null) {
      synchronized (this) {
        if (clients == null) {
          clients = new VaultClients(config, new JdkHttpClient(tls, HTTP_TIMEOUT), context.clock());
        }
        made = clients;
      }
    }
    return made;
  }

  private ExecutorService readers() {
    ExecutorService made = readers;
    if (made == null) {
      synchronized (this) {
        if (readers == null) {
          AtomicInteger counter = new AtomicInteger();
          ThreadPoolExecutor executor = new ThreadPoolExecutor(READ_THREADS, READ_THREADS, 30,
              TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
                Thread thread = new Thread(runnable,
                    "passport-azure-read-" + counter.incrementAndGet());
                thread.setDaemon(true);
                return thread;
              });
          executor.allowCoreThreadTimeOut(true);
          readers = executor;
        }
        made = readers;
      }
    }
    return made;
  }

  /** How many pod identities hold clients, for tests. */
  int cachedIdentities() {
    VaultClients made = clients;
    return made == null ? 0 : made.size();
  }

  @Override
  public void close() {
    ExecutorService pool = readers;
    if (pool != null) {
      pool.shutdownNow();
    }
    VaultClients made = clients;
    if (made != null) {
      made.clear();
    }
  }

  @Override
  public String toString() {
    return "AzureBackend[cloud=" + config.cloud().cloudName + ", authorityHost="
        + config.authorityHost().orElse(config.cloud().authorityHost) + ", keyVaultEndpoint="
        + config.keyVaultEndpoint().orElse(config.cloud().keyVaultTemplate()) + "]";
  }
}
