package dev.passport.plugins.aws;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;
import static dev.passport.api.BackendException.Kind.NOT_FOUND;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.RESOURCE_EXHAUSTED;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import dev.passport.api.BackendException;
import dev.passport.support.BoundedReads;
import java.util.Optional;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * AWS's error codes as the SPI's kinds, with messages that name the object and, for a refused
 * token, the CSIDriver {@code tokenRequests} audience; never a token or a credential.
 */
final class AwsErrors {

  static final int MAX_MESSAGE = 300;

  private AwsErrors() {}

  /** An STS {@code AssumeRoleWithWebIdentity} failure for {@code roleArn}. */
  static BackendException sts(Throwable e, String roleArn, String region) {
    Optional<BackendException> budget = BoundedReads.budgetFailure(e);
    if (budget.isPresent()) {
      return budget.get();
    }
    String where = "aws: AssumeRoleWithWebIdentity for role " + roleArn + " in " + region;
    if (e instanceof AwsServiceException s) {
      String code = code(s);
      String message = where + " failed: " + code + ": " + awsMessage(s);
      return switch (code) {
        case "InvalidIdentityToken", "ExpiredTokenException", "IDPRejectedClaim" ->
            new BackendException(UNAUTHENTICATED, message + "; STS refused the pod's token for"
                + " audience " + AwsVolume.IRSA_AUDIENCE + " (the CSIDriver's spec.tokenRequests"
                + " must include it, and the role's trust policy must name the cluster's OIDC"
                + " provider)");
        case "AccessDenied", "AccessDeniedException" -> new BackendException(PERMISSION_DENIED,
            message + "; the role's trust policy must allow sts:AssumeRoleWithWebIdentity for"
                + " this service account");
        case "MalformedPolicyDocument", "PackedPolicyTooLarge", "ValidationError" ->
            new BackendException(INVALID_ARGUMENT, message);
        case "RegionDisabledException" -> new BackendException(FAILED_PRECONDITION, message);
        // STS answers a rate limit with HTTP 400 and code Throttling
        case "Throttling", "ThrottlingException" -> new BackendException(RESOURCE_EXHAUSTED,
            message);
        default -> generic(s, message);
      };
    }
    return client(e, where);
  }

  /** A Secrets Manager or SSM failure reading {@code object}. */
  static BackendException read(Throwable e, String operation, String object, String region,
      String audience) {
    Optional<BackendException> budget = BoundedReads.budgetFailure(e);
    if (budget.isPresent()) {
      return budget.get();
    }
    String where = "aws: " + operation + " of " + object + " in " + region;
    if (e instanceof AwsServiceException s) {
      String code = code(s);
      String message = where + " failed: " + code + ": " + awsMessage(s);
      return switch (code) {
        case "AccessDeniedException", "AccessDenied" -> new BackendException(PERMISSION_DENIED,
            message + "; grant the pod's role " + (operation.equals("GetParameters")
                ? "ssm:GetParameters" : "secretsmanager:GetSecretValue") + " on it");
        case "ResourceNotFoundException", "ParameterNotFound", "ParameterVersionNotFound",
            "ParameterVersionLabelNotFound" -> new BackendException(NOT_FOUND, message);
        case "ThrottlingException", "Throttling", "TooManyRequestsException",
            "LimitExceededException" -> new BackendException(RESOURCE_EXHAUSTED, message);
        case "ExpiredTokenException", "UnrecognizedClientException", "InvalidSignatureException",
            "IncompleteSignature", "InvalidClientTokenId" -> new BackendException(UNAUTHENTICATED,
            message + "; the pod's credentials (from its token for audience " + audience
                + ") were refused");
        case "DecryptionFailure", "InvalidKeyId", "KMSAccessDeniedException" ->
            new BackendException(PERMISSION_DENIED, message
                + "; the pod's role needs kms:Decrypt on the key that encrypts it");
        case "InvalidRequestException" -> new BackendException(FAILED_PRECONDITION, message);
        case "RequestTimeout", "RequestTimeoutException" ->
            new BackendException(DEADLINE_EXCEEDED, message);
        case "InvalidParameterException", "ValidationException", "InvalidParameters" ->
            new BackendException(INVALID_ARGUMENT, message);
        default -> generic(s, message);
      };
    }
    return client(e, where);
  }

  private static BackendException generic(AwsServiceException s, String message) {
    int status = s.statusCode();
    if (status == 429) {
      return new BackendException(RESOURCE_EXHAUSTED, message);
    }
    if (status >= 500 || status == 0) {
      return new BackendException(UNAVAILABLE, message);
    }
    if (status == 401) {
      return new BackendException(UNAUTHENTICATED, message);
    }
    if (status == 403) {
      return new BackendException(PERMISSION_DENIED, message);
    }
    if (status == 404) {
      return new BackendException(NOT_FOUND, message);
    }
    return new BackendException(FAILED_PRECONDITION, message);
  }

  private static BackendException client(Throwable e, String where) {
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
      return new BackendException(DEADLINE_EXCEEDED, where + " did not answer in time");
    }
    if (e instanceof SdkClientException) {
      String detail = ObjectSpec.firstLine(e.getMessage());
      if (detail.contains("Unable to unmarshall") || detail.contains("Unable to parse")) {
        return new BackendException(INTERNAL, where + ": the answer could not be read: "
            + bounded(detail));
      }
      return new BackendException(UNAVAILABLE, where + " failed: " + bounded(detail));
    }
    return new BackendException(INTERNAL, where + " failed: " + e.getClass().getSimpleName());
  }

  /**
   * Whether the failover region is tried after this failure: a retryable one (server errors,
   * timeouts, throttling). A refusal (denied, not found) is final, as in provider-aws.
   */
  static boolean failsOver(BackendException e) {
    return e.isRetryable();
  }

  private static String code(AwsServiceException s) {
    String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
    return code == null ? "HTTP " + s.statusCode() : code;
  }

  private static String awsMessage(AwsServiceException s) {
    String message = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorMessage();
    return bounded(message == null ? "(no message)" : message);
  }

  static String bounded(String message) {
    String line = ObjectSpec.firstLine(message);
    return line.length() > MAX_MESSAGE ? line.substring(0, MAX_MESSAGE) + "..." : line;
  }
}
