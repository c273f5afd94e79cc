package dev.passport.plugins.aws;

import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;

import dev.passport.api.BackendException;
import dev.passport.api.Pod;
import dev.passport.support.ServiceAccountReader;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * provider-aws's IRSA role lookup: the {@code eks.amazonaws.com/role-arn} annotation of the pod's
 * service account, read by plugin-support's {@link ServiceAccountReader} with the driver's own
 * token (RBAC: {@code get serviceaccounts}, nothing else), kept {@code annotationCacheTtl} (1 min).
 * Only when {@code serviceAccountAnnotations=true}.
 */
final class ServiceAccountRoles {

  static final String ANNOTATION = "eks.amazonaws.com/role-arn";
  static final String GRANT = "give the driver's service account \"get\" on serviceaccounts"
      + " (deploy/rbac), or set roleArn in the SecretProviderClass";

  private final Optional<ServiceAccountReader> reader;

  ServiceAccountRoles(AwsConfig config, Clock clock) {
    this.reader = config.kubernetes()
        .map(access -> new ServiceAccountReader(access, Set.of(ANNOTATION), GRANT, clock));
  }

  String roleArn(Pod pod, Duration timeout) throws BackendException {
    if (reader.isEmpty()) {
      throw new IllegalStateException("the role annotation is read only with "
          + AwsConfig.SERVICE_ACCOUNT_ANNOTATIONS + "=true");
    }
    String who = "service account " + pod.namespace() + "/" + pod.serviceAccount();
    Map<String, String> annotations = reader.get()
        .annotations(pod.namespace(), pod.serviceAccount(), timeout)
        .orElseThrow(() -> new BackendException(FAILED_PRECONDITION, "aws: " + who
            + " does not exist (HTTP 404), so its " + ANNOTATION + " annotation cannot be read"));
    String roleArn = annotations.getOrDefault(ANNOTATION, "").strip();
    if (roleArn.isEmpty()) {
      // provider-aws's message
      throw new BackendException(FAILED_PRECONDITION, "An IAM role must be associated with service"
          + " account " + pod.serviceAccount() + " (namespace: " + pod.namespace() + "): annotate"
          + " it with " + ANNOTATION + ", or set roleArn in the SecretProviderClass");
    }
    if (!AwsVolume.ROLE_ARN_PATTERN.matcher(roleArn).matches()) {
      throw new BackendException(FAILED_PRECONDITION, "the " + ANNOTATION + " annotation of "
          + who + " is not an IAM role ARN such as arn:aws:iam::111122223333:role/my-role");
    }
    return roleArn;
  }
}
