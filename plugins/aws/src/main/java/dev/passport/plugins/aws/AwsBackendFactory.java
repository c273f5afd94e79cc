package dev.passport.plugins.aws;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.support.TlsTrust;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code aws} backend: AWS Secrets Manager secrets and SSM Parameter Store parameters, read
 * as the pod through IRSA (STS {@code AssumeRoleWithWebIdentity}) or EKS Pod Identity. Volume
 * attributes are secrets-store-csi-driver-provider-aws's parameters ({@code objects},
 * {@code region}, {@code failoverRegion}, {@code pathTranslation}, {@code usePodIdentity},
 * {@code preferredAddressType}) plus {@code roleArn}; {@code aws.properties} holds the endpoints.
 * The configuration is checked here, at startup; the SDK clients are made on first use.
 */
public final class AwsBackendFactory implements BackendFactory {

  /** The backend name volumes select with {@code backend: aws}. */
  public static final String NAME = "aws";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<AwsVolume> create(Map<String, String> config, BackendContext context)
      throws BackendException {
    requireNonNull(config, "config is null");
    requireNonNull(context, "context is null");
    AwsConfig parsed = AwsConfig.parse(config);
    TlsTrust trust =
        TlsTrust.jdkAnd(parsed.caBundle(), AwsConfig.FILE + " key " + AwsConfig.CA_BUNDLE);
    LibraryLogs.quiet();
    Logger log = LoggerFactory.getLogger(context.loggerName());
    log.info("aws backend: STS {}, Secrets Manager {}, SSM {}, Pod Identity agent {} / {}",
        parsed.stsEndpoint(), parsed.secretsManagerEndpoint(), parsed.ssmEndpoint(),
        parsed.podIdentityEndpoint(), parsed.podIdentityEndpointIpv6());
    return new AwsBackend(parsed, context, trust);
  }
}
