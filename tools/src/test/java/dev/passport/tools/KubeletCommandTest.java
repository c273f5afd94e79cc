package dev.passport.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.Pod;
import dev.passport.host.PassportHost;
import dev.passport.host.cli.Main;
import dev.passport.host.volume.MountMode;
import dev.passport.conformance.ExampleBackendFactory;
import dev.passport.conformance.ExampleBackendFactory.Flaw;
import dev.passport.conformance.ExampleSecretService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.conformance.FakeKubelet;

class KubeletCommandTest {

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final ExampleSecretService service =
      new ExampleSecretService(tokens, java.time.Clock.systemUTC());

  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);
  @TempDir Path dir;
  private PassportHost host;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void startHost() throws Exception {
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new ExampleBackendFactory(service, Flaw.NONE), Map.of())
        .start();
  }

  @AfterEach
  void stopHost() {
    host.close();
    service.close();
  }

  @Test
  void passportCommandLine_hasTheKubeletSubcommand() {
    assertThat(Main.commandLine().getSubcommands()).containsKey("kubelet");
  }

  @Test
  void publishRepublishUnpublish_withATokenFile_managesTheVolume() throws Exception {
    Path tokenFile = dir.resolve("token");
    Pod pod = Pod.of("shop", "web-0", UUID.nameUUIDFromBytes("shop/web-0".getBytes()).toString(),
        "default");
    Path target = FakeKubelet.targetPath(dir.resolve("kubelet"), pod.uid(), "secrets");
    Files.writeString(tokenFile, tokens.mint(pod, "example", Instant.now(), Duration.ofHours(1)));

    int published = run("publish", "--endpoint", "unix://" + host.socket(), "--namespace", "shop",
        "--pod", "web-0", "--kubelet-dir", dir.resolve("kubelet").toString(), "-a", "backend=example",
        "-a", "key=db", "--token-file", "example=" + tokenFile);
    int republished = run("republish", "--endpoint", host.socket().toString(), "--namespace",
        "shop", "--pod", "web-0", "--kubelet-dir", dir.resolve("kubelet").toString(), "-a", "backend=example",
        "-a", "key=db", "--token-file", "example=" + tokenFile);
    String content = Files.readString(target.resolve("secret"));
    int unpublished = run("unpublish", "--endpoint", host.socket().toString(), "--namespace",
        "shop", "--pod", "web-0", "--kubelet-dir", dir.resolve("kubelet").toString());

    assertThat(List.of(published, republished, unpublished)).as(err.toString())
        .containsExactly(0, 0, 0);
    assertThat(content).isEqualTo("value-of-db");
    assertThat(out.toString())
        .contains("published volume " + FakeKubelet.inlineVolumeId(pod.uid(), "secrets"))
        .contains("  secret").contains("  meta/owner").contains("unpublished volume");
    assertThat(target).doesNotExist();
    assertThat(out.toString() + err.toString()).doesNotContain(Files.readString(tokenFile));
  }

  @Test
  void publish_backendRefuses_exitsOneWithTheStatus() {
    service.fail(dev.passport.api.BackendException.Kind.PERMISSION_DENIED);

    int exit = run("publish", "--endpoint", host.socket().toString(), "--kubelet-dir",
          dir.resolve("kubelet").toString(), "--volume-name", "t", "-a", "backend=example", "-a", "key=db",
        "--audience", "example");

    assertThat(exit).isEqualTo(1);
    // minted with a throwaway key, so the example service refuses the token itself
    assertThat(err.toString()).contains("NodePublishVolume failed: UNAUTHENTICATED")
        .contains("throwaway key");
  }

  @Test
  void publish_withASigningKey_createsItOnceAndReusesIt() throws Exception {
    Path key = dir.resolve("sa.key");
    List<Integer> exits = new ArrayList<>();

    for (int i = 0; i < 2; i++) {
      exits.add(run("publish", "--endpoint", host.socket().toString(), "--kubelet-dir",
          dir.resolve("kubelet").toString(), "--volume-name", "t" + i + "", "-a", "backend=example", "-a", "key=db",
          "--audience", "example", "--signing-key", key.toString()));
    }

    assertThat(exits).containsExactly(1, 1);
    assertThat(key).exists();
    assertThat(Files.readString(key.resolveSibling("sa.key.jwks.json"))).contains("\"kty\":\"RSA\"");
    assertThat(err.toString()).containsOnlyOnce("created signing key");
    assertThat(ServiceAccountTokens.create(ServiceAccountTokens.DEFAULT_ISSUER,
        KubeletCommand.loadOrCreateKey(key, new PrintWriter(new StringWriter()))).jwksJson())
        .isEqualTo(Files.readString(key.resolveSibling("sa.key.jwks.json")));
  }

  private int run(String... args) {
    CommandLine cli = KubeletCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }
}
