package dev.passport.host.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.host.HostStartException;
import dev.passport.host.PassportHost;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The drop-in flags fail fast with one line naming what to change. */
class DropInOptionsTest {

  @Test
  void dropInOff_byDefault_leavesTheHostWithoutClasses() throws Exception {
    DropInOptions options = parse().dropIn;
    assertThat(options.enabled).isFalse();
    options.apply(PassportHost.builder(), Map.of());
  }

  @Test
  void kubeconfigWithoutTheFlag_isAUsageErrorNamingTheFlag() {
    DropInOptions options = parse("--kubeconfig", "/tmp/kubeconfig").dropIn;
    assertThatThrownBy(() -> options.apply(PassportHost.builder(), Map.of()))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--secret-provider-classes");
  }

  @Test
  void syncFlagsWithoutTheFlag_areAUsageErrorNamingTheFlag() {
    for (String[] args : new String[][] {{"--sync-secret-identity", "driver"},
        {"--sync-secret-audience", "api"}}) {
      DropInOptions options = parse(args).dropIn;

      assertThatThrownBy(() -> options.apply(PassportHost.builder(), Map.of()))
          .isInstanceOf(CommandLine.ParameterException.class)
          .hasMessageContaining("take effect only with --secret-provider-classes");
    }
  }

  @Test
  void flagOutsideAPodWithoutKubeconfig_stopsTheStartNamingKubeconfig() {
    DropInOptions options = parse("--secret-provider-classes").dropIn;
    assertThatThrownBy(() -> options.apply(PassportHost.builder(), Map.of()))
        .isInstanceOf(HostStartException.class)
        .hasMessageContaining("KUBERNETES_SERVICE_HOST is unset")
        .hasMessageContaining("--kubeconfig");
  }

  @Test
  void syncSecretIdentityNeitherPodNorDriver_isAUsageError_beforeAnyApiAccess() {
    DropInOptions options = parse("--secret-provider-classes", "--sync-secret-identity", "root").dropIn;
    assertThatThrownBy(() -> options.apply(PassportHost.builder(), Map.of()))
        .isInstanceOf(picocli.CommandLine.ParameterException.class)
        .hasMessageContaining("--sync-secret-identity root: give pod or driver");
  }

  @Test
  void syncSecretIdentity_defaultsToPod_andTheAudienceToTheApiServers() {
    DropInOptions options = parse("--secret-provider-classes").dropIn;
    assertThat(options.syncSecretIdentity).isEqualTo("pod");
    assertThat(options.syncSecretAudience).isEmpty();
  }

  @Test
  void providerBackendNotPROVIDEReqBACKEND_isAUsageError() {
    DropInOptions options = parse("--secret-provider-classes", "--provider-backend", "Azure=x y").dropIn;
    assertThatThrownBy(() -> options.apply(PassportHost.builder(), Map.of()))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("PROVIDER=BACKEND");
  }

  private static ServeCommand parse(String... extra) {
    String[] base = {"serve", "--plugins-dir", "/plugins", "--endpoint", "unix:///csi/csi.sock",
        "--node-id", "node-1"};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    CommandLine line = Main.commandLine();
    CommandLine.ParseResult result = line.parseArgs(args);
    return (ServeCommand) result.subcommand().commandSpec().userObject();
  }
}
