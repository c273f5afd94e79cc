package dev.passport.plugins.aws;

import dev.passport.api.BackendException;
import dev.passport.api.PreparedVolume;
import dev.passport.support.Settings;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A volume's provider-aws parameters, parsed once.
 *
 * @param regions the primary region and, if set, the failover region
 * @param podIdentity EKS Pod Identity instead of IRSA
 * @param addressType {@code auto}, {@code ipv4} or {@code ipv6}: the Pod Identity agent address
 * @param roleArn the IRSA role, from the {@code roleArn} attribute; empty means the service
 *     account's annotation
 * @param objects the descriptors, in order
 */
record AwsVolume(
    List<String> regions,
    boolean podIdentity,
    String addressType,
    Optional<String> roleArn,
    List<ObjectSpec.Descriptor> objects) implements PreparedVolume {

  static final String OBJECTS = "objects";
  static final String REGION = "region";
  static final String FAILOVER_REGION = "failoverRegion";
  static final String PATH_TRANSLATION = "pathTranslation";
  static final String USE_POD_IDENTITY = "usePodIdentity";
  static final String PREFERRED_ADDRESS_TYPE = "preferredAddressType";
  static final String ROLE_ARN = "roleArn";
  static final String SECRET_PROVIDER_CLASS = "secretProviderClass";

  /** provider-aws's audiences (utils/token_parser.go), which the CSIDriver's tokenRequests name. */
  static final String IRSA_AUDIENCE = "sts.amazonaws.com";
  static final String POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com";

  static final Pattern ROLE_ARN_PATTERN = Pattern.compile(
      "arn:aws[a-z-]{0,20}:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}");

  AwsVolume {
    regions = List.copyOf(regions);
    objects = List.copyOf(objects);
  }

  @Override
  public Set<String> audiences() {
    return Set.of(audience());
  }

  String audience() {
    return podIdentity ? POD_IDENTITY_AUDIENCE : IRSA_AUDIENCE;
  }

  String region() {
    return regions.get(0);
  }

  static AwsVolume parse(Map<String, String> attributes, AwsConfig config)
      throws BackendException {
    Settings settings = Settings.attributes(attributes);
    settings.known(OBJECTS, REGION, FAILOVER_REGION, PATH_TRANSLATION, USE_POD_IDENTITY,
        PREFERRED_ADDRESS_TYPE, ROLE_ARN, SECRET_PROVIDER_CLASS).rejectUnknown();
    Optional<String> region = settings.optional(REGION).filter(r -> !r.isEmpty())
        .or(config::defaultRegion);
    if (region.isEmpty()) {
      throw BackendException.invalid("region is not set: add region (e.g. us-east-1) to the"
          + " SecretProviderClass parameters, or region to aws.properties (provider-aws reads the"
          + " node's topology.kubernetes.io/region label; Passport does not read nodes)");
    }
    List<String> regions = new java.util.ArrayList<>();
    regions.add(checkRegion(settings, REGION, region.get(), config));
    Optional<String> failover = settings.optional(FAILOVER_REGION).filter(r -> !r.isEmpty());
    if (failover.isPresent()) {
      if (failover.get().equals(region.get())) {
        throw BackendException.invalid(region.get()
            + ": failover region cannot be the same as the primary region");
      }
      regions.add(checkRegion(settings, FAILOVER_REGION, failover.get(), config));
    }
    boolean podIdentity;
    try {
      podIdentity = settings.goBool(USE_POD_IDENTITY, false);
    } catch (BackendException e) {
      throw BackendException.invalid("failed to parse usePodIdentity value, error: "
          + e.getMessage());
    }
    String addressType = switch (settings.optional(PREFERRED_ADDRESS_TYPE).orElse("")
        .toLowerCase(Locale.ROOT)) {
      case "ipv4" -> "ipv4";
      case "ipv6" -> "ipv6";
      // provider-aws takes anything else as auto
      default -> "auto";
    };
    Optional<String> roleArn = settings.optional(ROLE_ARN).map(String::strip)
        .filter(r -> !r.isEmpty());
    if (roleArn.isPresent() && !ROLE_ARN_PATTERN.matcher(roleArn.get()).matches()) {
      throw settings.invalid(ROLE_ARN, roleArn.get(),
          "give an IAM role ARN such as arn:aws:iam::111122223333:role/my-role");
    }
    if (!podIdentity && roleArn.isEmpty() && !config.serviceAccountAnnotations()) {
      throw BackendException.invalid("no IAM role for IRSA: set roleArn (e.g."
          + " arn:aws:iam::111122223333:role/my-role) in the SecretProviderClass parameters, or"
          + " serviceAccountAnnotations=true in aws.properties to read the service account's"
          + " eks.amazonaws.com/role-arn annotation as provider-aws does, or usePodIdentity:"
          + " \"true\" for EKS Pod Identity");
    }
    String objects = settings.required(OBJECTS,
        "give a YAML list such as '- objectName: \"MySecret\"\\n  objectType: \"secretsmanager\"'");
    List<ObjectSpec.Descriptor> descriptors = ObjectSpec.parse(objects,
        settings.optional(PATH_TRANSLATION).orElse(""), regions, config.maxObjects());
    return new AwsVolume(regions, podIdentity, addressType, roleArn, descriptors);
  }

  private static String checkRegion(Settings settings, String key, String region,
      AwsConfig config) throws BackendException {
    if (!AwsConfig.REGION_ID.matcher(region).matches()) {
      throw settings.invalid(key, region, "give an AWS region id such as us-east-1");
    }
    if (!config.allowsRegion(region)) {
      throw settings.invalid(key, region, "this node's aws.properties allows only the regions "
          + new java.util.TreeSet<>(config.allowedRegions()));
    }
    return region;
  }
}
