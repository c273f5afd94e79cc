package dev.passport.host.csi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.testing.CsiClient;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsiServerTest {

  @TempDir Path dir;

  @Test
  void start_staleSocketFromAKilledProcess_isReplaced() throws Exception {
    Path socket = dir.resolve("csi.sock");
    // What a SIGKILLed server leaves: a socket file nobody listens on (closing a JDK channel keeps it).
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(socket));
    }
    assertThat(socket).exists();

    try (CsiServer server = start(socket); CsiClient client = new CsiClient(socket)) {
      assertThat(client.identity().probe(Csi.ProbeRequest.getDefaultInstance()).getReady().getValue()).isTrue();
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void start_regularFileAtSocketPath_isRefused() throws IOException {
    Path socket = dir.resolve("csi.sock");
    Files.writeString(socket, "not a socket");
    assertThatThrownBy(() -> start(socket)).hasMessageContaining("is not a socket");
    assertThat(Files.readString(socket)).isEqualTo("not a socket");
  }

  @Test
  void redact_publishRequest_dropsSecretsAndTokens() {
    Csi.NodePublishVolumeRequest request = Csi.NodePublishVolumeRequest.newBuilder()
        .setVolumeId("v")
        .putSecrets("csi.storage.k8s.io/serviceAccount.tokens", "SECRET-IN-SECRETS")
        .putVolumeContext("csi.storage.k8s.io/serviceAccount.tokens", "SECRET-IN-CONTEXT")
        .putVolumeContext("roleName", "web")
        .build();
    String printed = com.google.protobuf.TextFormat.shortDebugString(RedactingLogInterceptor.redact(request));
    assertThat(printed).doesNotContain("SECRET-IN").contains("roleName").contains("redacted");
  }

  private static CsiServer start(Path socket) throws IOException {
    return CsiServer.start(socket, List.of(new IdentityService("passport.csi.dev", "test", () -> true)), 2);
  }
}
