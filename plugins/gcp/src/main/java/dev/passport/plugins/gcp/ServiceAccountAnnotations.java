package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.passport.api.BackendException;
import dev.passport.support.KubernetesAccess;
import dev.passport.support.ServiceAccountReader;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * provider-gcp's impersonation target: the {@code iam.gke.io/gcp-service-account} annotation of
 * the pod's Kubernetes service account, and {@code iam.gke.io/gcp-service-account-delegates} (a
 * JSON list of emails). Read as the driver by plugin-support's {@link ServiceAccountReader}
 * ({@link KubernetesAccess}), cached per service account for {@code annotationCacheTtl}, so that
 * kubelet's republishes cost the API server nothing.
 *
 * <p>The namespace owner controls the annotation, as with provider-gcp: it can name any Google
 * service account, and IAM decides (the pod's principal needs {@code roles/iam.workloadIdentityUser}
 * on it). The value is held to the service account alphabet, so it stays one path segment of the
 * IAM Credentials URL.
 */
final class ServiceAccountAnnotations {

  static final String GCP_SERVICE_ACCOUNT = "iam.gke.io/gcp-service-account";
  static final String GCP_SERVICE_ACCOUNT_DELEGATES = "iam.gke.io/gcp-service-account-delegates";
  static final int MAX_DELEGATES = 10;

  /** Whom to impersonate, as the annotations say; empty service account: none. */
  record Target(Optional<String> serviceAccount, List<String> delegates) {
    Target {
      delegates = List.copyOf(delegates);
    }
  }

  // the API server's request budget inside a fetch's deadline, as fabric8's was before
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  static final String GRANT = "install the chart with gcp.serviceAccountAnnotations.enabled=true,"
      + " which grants get on serviceaccounts";

  private final ServiceAccountReader reader;

  ServiceAccountAnnotations(KubernetesAccess access, Clock clock) {
    this.reader = new ServiceAccountReader(access,
        Set.of(GCP_SERVICE_ACCOUNT, GCP_SERVICE_ACCOUNT_DELEGATES), GRANT, clock);
  }

  /** The annotations of service account {@code namespace/name}: cached, or read now. */
  Target target(String namespace, String name) throws BackendException {
    String who = "service account " + namespace + "/" + name;
    Map<String, String> annotations = reader.annotations(namespace, name, REQUEST_TIMEOUT)
        .orElseThrow(() -> new BackendException(FAILED_PRECONDITION, who + " does not exist, so"
            + " its " + GCP_SERVICE_ACCOUNT + " annotation cannot be read"));
    String serviceAccount = annotations.getOrDefault(GCP_SERVICE_ACCOUNT, "").strip();
    if (serviceAccount.isEmpty()) {
      // provider-gcp then uses the federated token directly; so does Passport
      return new Target(Optional.empty(), List.of());
    }
    if (!GcpConfig.isServiceAccountId(serviceAccount)) {
      throw new BackendException(INVALID_ARGUMENT, "annotation " + GCP_SERVICE_ACCOUNT + " of "
          + who + " is not a Google service account email; write one such as"
          + " reader@<project>.iam.gserviceaccount.com");
    }
    return new Target(Optional.of(serviceAccount),
        delegates(annotations.get(GCP_SERVICE_ACCOUNT_DELEGATES), who));
  }

  /** provider-gcp's format: a JSON list of emails, each sent as projects/-/serviceAccounts/<email>. */
  private static List<String> delegates(String value, String who) throws BackendException {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    String problem = "annotation " + GCP_SERVICE_ACCOUNT_DELEGATES + " of " + who
        + " must be a JSON list of service account emails, e.g. [\"hop@<project>.iam"
        + ".gserviceaccount.com\"]";
    JsonArray list;
    try {
      JsonElement parsed = JsonParser.parseString(value);
      if (!parsed.isJsonArray() || parsed.getAsJsonArray().size() > MAX_DELEGATES) {
        throw new BackendException(INVALID_ARGUMENT, problem + " (at most " + MAX_DELEGATES + ")");
      }
      list = parsed.getAsJsonArray();
    } catch (JsonParseException e) {
      throw new BackendException(INVALID_ARGUMENT, problem);
    }
    List<String> delegates = new ArrayList<>();
    for (JsonElement item : list) {
      if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isString()
          || !GcpConfig.isServiceAccountId(item.getAsString())) {
        throw new BackendException(INVALID_ARGUMENT, problem);
      }
      delegates.add("projects/-/serviceAccounts/" + item.getAsString());
    }
    return delegates;
  }
}
