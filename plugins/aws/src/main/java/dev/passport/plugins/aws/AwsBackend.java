package dev.passport.plugins.aws;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.NOT_FOUND;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.plugins.aws.ObjectSpec.Descriptor;
import dev.passport.plugins.aws.ObjectSpec.JmesEntry;
import dev.passport.support.TlsTrust;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.ssm.model.GetParametersRequest;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;

/**
 * The {@code aws} backend: Secrets Manager secrets and SSM parameters, read as the pod.
 *
 * <p>What is read when: a first publish (or changed attributes) reads every object. When the
 * material is due (the host's refresh interval) objects pinned by {@code objectVersion} are taken
 * from the volume as it is (a version id's content never changes) and the others are read again.
 * A token rotation alone reads nothing: the volume keeps its content until it is due.
 */
final class AwsBackend implements Backend<AwsVolume> {

  /** SSM's GetParameters takes at most 10 names (provider-aws's batchSize). */
  static final int SSM_BATCH = 10;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AwsConfig config;
  private final Clock clock;
  private final AwsClients clients;
  private final PodCredentials credentials;
  private final ServiceAccountRoles roles;

  AwsBackend(AwsConfig config, BackendContext context, TlsTrust trust) {
    this.config = config;
    this.clock = context.clock();
    this.clients = new AwsClients(config, trust);
    this.credentials = new PodCredentials(config, clients, clock);
    this.roles = new ServiceAccountRoles(config, clock);
  }

  @Override
  public AwsVolume prepare(Map<String, String> attributes) throws BackendException {
    return AwsVolume.parse(attributes, config);
  }

  @Override
  public Material fetch(AwsVolume volume, FetchRequest request) throws BackendException {
    if (request.reason() == FetchRequest.Reason.TOKENS_ROTATED && request.previous().isPresent()) {
      return request.previous().get();
    }
    List<Descriptor> objects = volume.objects();
    byte[][] values = new byte[objects.size()][];
    boolean mayReuse = request.reason() == FetchRequest.Reason.DUE
        || request.reason() == FetchRequest.Reason.RECOVERED;
    List<Integer> secrets = new ArrayList<>();
    List<Integer> parameters = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      Descriptor d = objects.get(i);
      Optional<MaterialFile> kept = mayReuse && d.pinned()
          ? request.previous().flatMap(m -> m.file(d.fileName())) : Optional.empty();
      if (kept.isPresent()) {
        values[i] = kept.get().content();
      } else if (d.type() == ObjectSpec.Type.SECRETS_MANAGER) {
        secrets.add(i);
      } else {
        parameters.add(i);
      }
    }
    if (!secrets.isEmpty() || !parameters.isEmpty()) {
      AwsCredentials creds = credentials.get(volume, roleArn(volume, request), request);
      for (int i : secrets) {
        values[i] = secret(volume, objects.get(i), creds, request);
      }
      for (int from = 0; from < parameters.size(); from += SSM_BATCH) {
        List<Integer> batch = parameters.subList(from, Math.min(parameters.size(),
            from + SSM_BATCH));
        parameters(volume, batch, values, creds, request);
      }
    }
    List<MaterialFile> files = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      Descriptor d = objects.get(i);
      files.add(MaterialFile.of(d.fileName(), values[i], d.mode()));
      files.addAll(jmesFiles(d, values[i]));
    }
    return Material.of(files);
  }

  private String roleArn(AwsVolume volume, FetchRequest request) throws BackendException {
    if (volume.podIdentity()) {
      return "pod-identity";
    }
    if (volume.roleArn().isPresent()) {
      return volume.roleArn().get();
    }
    return roles.roleArn(request.pod(), timeout(config, clock, request));
  }

  /** GetSecretValue in the primary region, and in the failover region if that fails retryably. */
  private byte[] secret(AwsVolume volume, Descriptor d, AwsCredentials creds,
      FetchRequest request) throws BackendException {
    BackendException primary;
    try {
      return secret(volume.region(), d, false, creds, request, volume.audience());
    } catch (BackendException e) {
      primary = e;
    }
    if (volume.regions().size() < 2 || !AwsErrors.failsOver(primary)) {
      throw primary;
    }
    try {
      return secret(volume.regions().get(1), d, true, creds, request, volume.audience());
    } catch (BackendException e) {
      throw e.isRetryable() ? new BackendException(primary.kind(), "Failed to fetch secret from"
          + " all regions: " + primary.getMessage() + "; " + e.getMessage()) : e;
    }
  }

  private byte[] secret(String region, Descriptor d, boolean failover, AwsCredentials creds,
      FetchRequest request, String audience) throws BackendException {
    GetSecretValueRequest.Builder call = GetSecretValueRequest.builder()
        .secretId(d.name(failover))
        .overrideConfiguration(overrides(creds, request));
    if (!d.version(failover).isEmpty()) {
      call.versionId(d.version(failover));
    }
    if (!d.label(failover).isEmpty()) {
      call.versionStage(d.label(failover));
    }
    GetSecretValueRequest built = call.build();
    GetSecretValueResponse answer;
    try {
      answer = BoundedHttpClient.charging(request.budget(),
          () -> clients.secretsManager(region).getSecretValue(built));
    } catch (RuntimeException e) {
      throw AwsErrors.read(e, "GetSecretValue", d.name(failover), region, audience);
    }
    if (answer.secretString() != null) {
      return answer.secretString().getBytes(StandardCharsets.UTF_8);
    }
    if (answer.secretBinary() != null) {
      return answer.secretBinary().asByteArray();
    }
    throw new BackendException(INTERNAL, "aws: GetSecretValue of " + d.name(failover) + " in "
        + region + " answered neither SecretString nor SecretBinary");
  }

  private void parameters(AwsVolume volume, List<Integer> batch, byte[][] values,
      AwsCredentials creds, FetchRequest request) throws BackendException {
    BackendException primary;
    try {
      parameters(volume.region(), volume, batch, false, values, creds, request);
      return;
    } catch (BackendException e) {
      primary = e;
    }
    if (volume.regions().size() < 2 || !AwsErrors.failsOver(primary)) {
      throw primary;
    }
    try {
      parameters(volume.regions().get(1), volume, batch, true, values, creds, request);
    } catch (BackendException e) {
      throw e.isRetryable() ? new BackendException(primary.kind(),
          "Failed to fetch parameters from all regions: " + primary.getMessage() + "; "
              + e.getMessage()) : e;
    }
  }

  private void parameters(String region, AwsVolume volume, List<Integer> batch, boolean failover,
      byte[][] values, AwsCredentials creds, FetchRequest request) throws BackendException {
    List<Descriptor> objects = volume.objects();
    Set<String> names = new LinkedHashSet<>();
    for (int i : batch) {
      names.add(selector(objects.get(i), failover));
    }
    GetParametersRequest call = GetParametersRequest.builder()
        .names(names)
        .withDecryption(true)
        .overrideConfiguration(overrides(creds, request))
        .build();
    GetParametersResponse answer;
    try {
      answer = BoundedHttpClient.charging(request.budget(),
          () -> clients.ssm(region).getParameters(call));
    } catch (RuntimeException e) {
      throw AwsErrors.read(e, "GetParameters", String.join(", ", names), region,
          volume.audience());
    }
    if (answer.hasInvalidParameters() && !answer.invalidParameters().isEmpty()) {
      // provider-aws: a 400 InvalidParameters naming them, which fails the mount
      throw new BackendException(NOT_FOUND, "aws: " + region + ": invalid parameters: "
          + AwsErrors.bounded(String.join(", ", new LinkedHashSet<>(answer.invalidParameters())))
          + " (they do not exist, or the version or label does not)");
    }
    Map<String, Parameter> byKey = new HashMap<>();
    for (Parameter p : answer.parameters()) {
      String selector = p.selector() == null ? "" : p.selector();
      if (p.name() != null) {
        byKey.put(p.name() + selector, p);
      }
      if (p.arn() != null) {
        byKey.put(p.arn() + selector, p);
      }
    }
    for (int i : batch) {
      String selector = selector(objects.get(i), failover);
      Parameter p = byKey.get(selector);
      if (p == null || p.value() == null) {
        throw new BackendException(INTERNAL, "aws: GetParameters in " + region + " answered"
            + " without parameter " + selector + " and without naming it invalid");
      }
      values[i] = p.value().getBytes(StandardCharsets.UTF_8);
    }
  }

  /** The GetParameters name: the name or ARN, {@code :version} or {@code :label} appended. */
  private static String selector(Descriptor d, boolean failover) {
    if (!d.version(failover).isEmpty()) {
      return d.name(failover) + ":" + d.version(failover);
    }
    if (!d.label(failover).isEmpty()) {
      return d.name(failover) + ":" + d.label(failover);
    }
    return d.name(failover);
  }

  /** provider-aws's {@code getJsonSecrets}, with its messages. */
  static List<MaterialFile> jmesFiles(Descriptor d, byte[] value) throws BackendException {
    if (d.jmesPath().isEmpty()) {
      return List.of();
    }
    JsonNode data;
    try {
      data = JSON.readTree(value);
    } catch (IOException e) {
      data = null;
    }
    if (data == null) {
      throw new BackendException(FAILED_PRECONDITION,
          "Invalid JSON used with jmesPath in secret: " + d.objectName() + ".");
    }
    List<MaterialFile> files = new ArrayList<>();
    for (JmesEntry entry : d.jmesPath()) {
      JsonNode found = entry.compiled().search(data);
      if (found == null) {
        throw new BackendException(FAILED_PRECONDITION, "JMES Path - " + entry.path()
            + " for object alias - " + entry.fileName() + " does not point to a valid object.");
      }
      if (!found.isTextual()) {
        throw new BackendException(FAILED_PRECONDITION, "Invalid JMES search result type for"
            + " path:" + entry.path() + ". Only string is allowed.");
      }
      files.add(MaterialFile.of(entry.fileName(), found.asText().getBytes(StandardCharsets.UTF_8),
          entry.mode()));
    }
    return files;
  }

  private AwsRequestOverrideConfiguration overrides(AwsCredentials c, FetchRequest request)
      throws BackendException {
    return AwsRequestOverrideConfiguration.builder()
        .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(
            c.accessKeyId(), c.secretAccessKey(), c.sessionToken())))
        .apiCallTimeout(timeout(config, clock, request))
        .build();
  }

  /** What is left of the fetch's deadline, at most the configured request timeout. */
  static Duration timeout(AwsConfig config, Clock clock, FetchRequest request)
      throws BackendException {
    Duration left = Duration.between(clock.instant(), request.deadline());
    if (left.isNegative() || left.isZero()) {
      throw new BackendException(DEADLINE_EXCEEDED, "aws: the fetch's deadline has passed");
    }
    return left.compareTo(config.requestTimeout()) < 0 ? left : config.requestTimeout();
  }

  @Override
  public void close() {
    clients.close();
  }
}
