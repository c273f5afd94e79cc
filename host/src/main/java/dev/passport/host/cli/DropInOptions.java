package dev.passport.host.cli;

import dev.passport.host.HostStartException;
import dev.passport.host.PassportHost;
import dev.passport.host.k8s.KubernetesAccess;
import dev.passport.host.k8s.SecretProviderClasses;
import dev.passport.host.k8s.SecretSync;
import dev.passport.host.publish.SecretProviderClassResolver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Drop-in mode for secrets-store-csi-driver (issue 19): SecretProviderClass resolution through
 * the driver's own, read-only API access. Off by default, and then no Kubernetes client class is
 * loaded ({@link KubernetesAccess} is reached only from {@link #apply} with the flag on).
 */
final class DropInOptions {

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9_.]*[a-z0-9])?");
  /** How long startup waits for the first list of classes before serving without it. */
  private static final Duration SYNC_WAIT = Duration.ofSeconds(10);

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = SecretProviderClassResolver.FLAG,
      defaultValue = "${env:PASSPORT_SECRET_PROVIDER_CLASSES:-false}",
      description = "Resolve volumes that name a secretProviderClass from the SecretProviderClass in"
          + " the pod's namespace (drop-in for secrets-store-csi-driver). Needs get, list and watch"
          + " on secretproviderclasses. Default: $PASSPORT_SECRET_PROVIDER_CLASSES or false.")
  boolean enabled;

  @Option(names = "--kubeconfig", description = "A kubeconfig file for the API server (local runs);"
      + " without it, the in-cluster configuration. Only with " + SecretProviderClassResolver.FLAG + ".")
  Path kubeconfig;

  @Option(names = "--provider-backend", paramLabel = "PROVIDER=BACKEND",
      description = "The backend serving a SecretProviderClass's spec.provider (repeatable); by"
          + " default vault=vault, gcp=gcp, and any other provider the backend of its name.")
  Map<String, String> providerBackends = new LinkedHashMap<>();

  @Option(names = "--sync-secret-identity", paramLabel = "pod|driver",
      defaultValue = "${env:PASSPORT_SYNC_SECRET_IDENTITY:-pod}",
      description = "Who writes the Secrets of a class's spec.secretObjects: pod (default: the pod's"
          + " own token for the API server; its service account needs a Role with get, create and"
          + " update on secrets) or driver (the driver's service account, as secrets-store-csi-driver"
          + " does; needs a ClusterRole on secrets). Only with " + SecretProviderClassResolver.FLAG + ".")
  String syncSecretIdentity;

  @Option(names = "--sync-secret-audience", paramLabel = "AUDIENCE",
      defaultValue = "${env:PASSPORT_SYNC_SECRET_AUDIENCE:-}",
      description = "In pod mode, the tokenRequests audience of the pod token that writes the"
          + " Secrets: \"\" (default) is kubelet's token for the API server's own audience.")
  String syncSecretAudience = "";

  /** Hands the cluster's classes to the host when the flag is on. */
  void apply(PassportHost.Builder builder, Map<String, String> environment) throws HostStartException {
    if (!enabled) {
      // The sync flags have environment defaults, so only what the command line names is refused.
      var parsed = spec.commandLine().getParseResult();
      if (kubeconfig != null || !providerBackends.isEmpty()
          || parsed.hasMatchedOption("--sync-secret-identity")
          || parsed.hasMatchedOption("--sync-secret-audience")) {
        throw new ParameterException(spec.commandLine(), "--kubeconfig, --provider-backend,"
            + " --sync-secret-identity and --sync-secret-audience take effect only with "
            + SecretProviderClassResolver.FLAG);
      }
      return;
    }
    providerBackends.forEach((provider, backend) -> {
      if (!NAME.matcher(provider).matches() || !NAME.matcher(backend).matches()) {
        throw new ParameterException(spec.commandLine(), "--provider-backend " + provider + "="
            + backend + ": give PROVIDER=BACKEND, both lowercase names");
      }
    });
    SecretSync.Identity identity = switch (syncSecretIdentity.strip()) {
      case "pod" -> SecretSync.Identity.POD;
      case "driver" -> SecretSync.Identity.DRIVER;
      default -> throw new ParameterException(spec.commandLine(), "--sync-secret-identity "
          + syncSecretIdentity + ": give pod or driver");
    };
    String audience = syncSecretAudience == null ? "" : syncSecretAudience.strip();
    SecretProviderClasses classes;
    try {
      classes = KubernetesAccess.secretProviderClasses(Optional.ofNullable(kubeconfig),
          environment, SYNC_WAIT);
    } catch (IllegalArgumentException e) {
      throw new HostStartException(e.getMessage(), e);
    }
    builder.secretProviderClasses(classes, providerBackends);
    try {
      builder.secretSync(KubernetesAccess.secretSync(Optional.ofNullable(kubeconfig), environment,
          identity, audience));
    } catch (IllegalArgumentException e) {
      classes.close();
      throw new HostStartException(e.getMessage(), e);
    }
  }
}
