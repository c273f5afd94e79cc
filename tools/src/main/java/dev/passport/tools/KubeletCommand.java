package dev.passport.tools;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.conformance.CsiCallException;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.conformance.TokenPlacement;
import dev.passport.host.cli.CliExtension;
import dev.passport.testkit.ServiceAccountTokens;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code passport kubelet publish|republish|unpublish}: plays kubelet for one inline volume against
 * a running driver's socket, so a backend can be tried without a cluster. Contributed to the
 * {@code passport} command line through {@link CliExtension} when the testkit is on the class path.
 */
@Command(name = "kubelet", mixinStandardHelpOptions = true,
    description = "Play kubelet against a Passport socket for one inline pod volume.",
    subcommands = {KubeletCommand.Publish.class, KubeletCommand.Republish.class,
        KubeletCommand.Unpublish.class})
public final class KubeletCommand implements CliExtension, Runnable {

  @Spec CommandSpec spec;

  @Override
  public String name() {
    return "kubelet";
  }

  @Override
  public Object command() {
    return new KubeletCommand();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The socket and pod options every subcommand shares. */
  static final class Target {
    @Option(names = "--endpoint", required = true,
        description = "The driver's socket: unix:///path/csi.sock or a path.")
    String endpoint;

    @Option(names = "--namespace", defaultValue = "default",
        description = "The pod's namespace. Default: ${DEFAULT-VALUE}.")
    String namespace;

    @Option(names = "--pod", defaultValue = "passport-try",
        description = "The pod's name. Default: ${DEFAULT-VALUE}.")
    String pod;

    @Option(names = "--pod-uid",
        description = "The pod's UID. Default: derived from namespace and name, so publish,"
            + " republish and unpublish agree.")
    String podUid;

    @Option(names = "--volume-name", defaultValue = "secrets",
        description = "The volume's name in the pod spec. Default: ${DEFAULT-VALUE}.")
    String volumeName;

    @Option(names = "--kubelet-dir", defaultValue = "/var/lib/kubelet",
        description = "kubelet's root dir, as given to passport serve: the volume appears at"
            + " <dir>/pods/<pod-uid>/volumes/kubernetes.io~csi/<volume-name>/mount (its parent is"
            + " created, as kubelet does). Default: ${DEFAULT-VALUE}.")
    Path kubeletDir;

    @Option(names = "--timeout", defaultValue = "PT2M",
        description = "Call timeout (ISO-8601). Default: kubelet's 2 minutes.")
    Duration timeout;

    Path socket() {
      return Path.of(endpoint.startsWith("unix://") ? endpoint.substring("unix://".length())
          : endpoint);
    }

    /** kubelet's target for the volume: the only shape the host acts on. */
    Path target() {
      return FakeKubelet.targetPath(kubeletDir.toAbsolutePath().normalize(), uid(), volumeName);
    }

    String uid() {
      return podUid != null ? podUid
          : UUID.nameUUIDFromBytes((namespace + "/" + pod).getBytes(UTF_8)).toString();
    }
  }

  /** publish and republish: the same NodePublishVolume request, as kubelet sends it. */
  abstract static class PublishBase implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Target target;

    @Option(names = "--service-account", defaultValue = "default",
        description = "The pod's service account. Default: ${DEFAULT-VALUE}.")
    String serviceAccount;

    @Option(names = {"-a", "--attribute"}, required = true,
        description = "A volume attribute, e.g. -a backend=vault -a path=kv/app.")
    Map<String, String> attributes = new LinkedHashMap<>();

    @Option(names = "--audience",
        description = "A token audience (CSIDriver tokenRequests); repeat for more.")
    Set<String> audiences = new LinkedHashSet<>();

    @Option(names = "--token-file",
        description = "AUDIENCE=FILE: send the token in FILE (e.g. from kubectl create token) for"
            + " that audience instead of minting one.")
    Map<String, Path> tokenFiles = new LinkedHashMap<>();

    @Option(names = "--signing-key",
        description = "PKCS#8 PEM RSA key to sign minted tokens with; created when missing, with"
            + " FILE.jwks.json beside it for your backend's JWT auth. Default: a throwaway key.")
    Path signingKey;

    @Option(names = "--issuer", defaultValue = ServiceAccountTokens.DEFAULT_ISSUER,
        description = "The iss claim of minted tokens. Default: ${DEFAULT-VALUE}.")
    String issuer;

    @Option(names = "--token-ttl", defaultValue = "PT1H",
        description = "Lifetime of minted tokens (ISO-8601). Default: 1 hour.")
    Duration tokenTtl;

    @Option(names = "--tokens-in", defaultValue = "SECRETS",
        description = "Where tokens go: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    TokenPlacement placement;

    @Option(names = "--fs-group", description = "The pod's fsGroup (volume_mount_group).")
    Long fsGroup;

    abstract String verb();

    @Override
    public Integer call() throws IOException, GeneralSecurityException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Set<String> allAudiences = new LinkedHashSet<>(audiences);
      allAudiences.addAll(tokenFiles.keySet());
      Pod pod = Pod.of(target.namespace, target.pod, target.uid(), serviceAccount);
      PodVolume volume = new PodVolume(pod, target.volumeName, target.target(), attributes,
          allAudiences, tokenTtl, placement,
          fsGroup == null ? OptionalLong.empty() : OptionalLong.of(fsGroup));
      ServiceAccountTokens minter = signingKey == null
          ? ServiceAccountTokens.create(issuer)
          : ServiceAccountTokens.create(issuer, loadOrCreateKey(signingKey, err));
      Map<String, ServiceAccountToken> tokens = new TreeMap<>();
      Instant now = Instant.now();
      for (String audience : allAudiences) {
        Path file = tokenFiles.get(audience);
        tokens.put(audience, file != null ? readToken(file)
            : minter.token(pod, audience, now, tokenTtl));
      }
      if (signingKey == null && tokens.size() > tokenFiles.size()) {
        err.println("note: tokens minted with a throwaway key; a real backend accepts them only"
            + " with --signing-key (and its FILE.jwks.json configured) or --token-file");
      }
      Files.createDirectories(target.target().getParent());
      try (FakeKubelet kubelet = FakeKubelet.connect(target.socket(), minter, Clock.systemUTC(),
          target.timeout)) {
        kubelet.publish(kubelet.publishRequest(volume, tokens));
      } catch (CsiCallException e) {
        err.println("NodePublishVolume failed: " + e.code() + ": "
            + e.description());
        return 1;
      }
      out.println(verb() + " volume " + volume.volumeId() + " at " + target.target());
      for (String file : MountedVolume.of(volume, tokens).readAll().keySet()) {
        out.println("  " + file);
      }
      return 0;
    }
  }

  /** {@code passport kubelet publish}. */
  @Command(name = "publish", mixinStandardHelpOptions = true,
      description = "NodePublishVolume for a pod's inline volume, as when the pod starts.")
  static final class Publish extends PublishBase {
    @Override
    String verb() {
      return "published";
    }
  }

  /** {@code passport kubelet republish}. */
  @Command(name = "republish", mixinStandardHelpOptions = true,
      description = "NodePublishVolume again, as kubelet does on every pod sync.")
  static final class Republish extends PublishBase {
    @Override
    String verb() {
      return "republished";
    }
  }

  /** {@code passport kubelet unpublish}. */
  @Command(name = "unpublish", mixinStandardHelpOptions = true,
      description = "NodeUnpublishVolume, as when the pod is deleted.")
  static final class Unpublish implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Target target;

    @Override
    public Integer call() {
      String volumeId = FakeKubelet.inlineVolumeId(target.uid(), target.volumeName);
      try (FakeKubelet kubelet = FakeKubelet.connect(target.socket(),
          ServiceAccountTokens.create(), Clock.systemUTC(), target.timeout)) {
        kubelet.unpublish(volumeId, target.target());
      } catch (CsiCallException e) {
        spec.commandLine().getErr().println("NodeUnpublishVolume failed: "
            + e.code() + ": " + e.description());
        return 1;
      }
      spec.commandLine().getOut().println("unpublished volume " + volumeId + " at "
          + target.target());
      return 0;
    }
  }

  /** A token from a file, its expiry read (not verified) from its exp claim. */
  static ServiceAccountToken readToken(Path file) throws IOException {
    String jwt = Files.readString(file, UTF_8).strip();
    String[] parts = jwt.split("\\.");
    Instant expiresAt = Instant.now().plus(Duration.ofHours(1));
    if (parts.length == 3) {
      try {
        JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        if (claims.path("exp").canConvertToLong()) {
          expiresAt = Instant.ofEpochSecond(claims.path("exp").asLong());
        }
      } catch (IOException | IllegalArgumentException e) {
        // not a JWT we can read: send it as is, the backend will judge it
      }
    }
    return ServiceAccountToken.of(jwt, expiresAt);
  }

  /** Reads a PKCS#8 PEM RSA key, or creates one (0600) with its JWKS beside it. */
  static KeyPair loadOrCreateKey(Path file, PrintWriter err)
      throws IOException, GeneralSecurityException {
    KeyFactory rsa = KeyFactory.getInstance("RSA");
    if (Files.exists(file)) {
      String pem = Files.readString(file, US_ASCII)
          .replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
      RSAPrivateCrtKey key = (RSAPrivateCrtKey) rsa.generatePrivate(
          new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
      return new KeyPair(rsa.generatePublic(
          new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent())), key);
    }
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    String pem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(US_ASCII))
            .encodeToString(pair.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    Files.writeString(file, pem, US_ASCII);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the file keeps the default permissions
    }
    Path jwks = file.resolveSibling(file.getFileName() + ".jwks.json");
    Files.writeString(jwks, ServiceAccountTokens.create(ServiceAccountTokens.DEFAULT_ISSUER, pair)
        .jwksJson(), UTF_8);
    err.println("created signing key " + file + "; configure your backend with " + jwks);
    return pair;
  }

  /** For tests: the command line of this command alone. */
  static CommandLine commandLine() {
    return new CommandLine(new KubeletCommand()).setCaseInsensitiveEnumValuesAllowed(true);
  }
}
