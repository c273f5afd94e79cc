package dev.passport.host.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.HostStartException;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.volume.MountMode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One host per socket and per state dir: a second host refuses to start and leaves the first
 * serving; a socket nothing answers on is stale and replaced; a host removes the socket on exit
 * only while it is still the one it bound.
 */
class OneHostPerSocketTest {

  @TempDir Path dir;

  @Test
  void secondHost_onALiveSocket_refusesNamingIt_firstKeepsAnswering_socketGoesOnlyWithTheFirst()
      throws Exception {
    Path socket = dir.resolve("csi.sock");
    try (PassportHost first = host(socket, dir.resolve("state-1"))) {
      Object bound = fileKey(socket);

      assertThatThrownBy(() -> host(socket, dir.resolve("state-2")))
          .isInstanceOf(HostStartException.class)
          .hasMessageContaining("another CSI server answers on unix://" + socket);

      assertThat(fileKey(socket)).isEqualTo(bound);
      assertAnswers(socket);
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void secondHost_onALockedStateDir_refusesNamingTheDir_firstKeepsAnswering() throws Exception {
    Path state = dir.resolve("state");
    try (PassportHost first = host(dir.resolve("one.sock"), state)) {
      assertThatThrownBy(() -> host(dir.resolve("two.sock"), state))
          .isInstanceOf(HostStartException.class)
          .hasMessageContaining("state dir " + state + " is locked by another Passport host");

      assertThat(dir.resolve("two.sock")).doesNotExist();
      assertAnswers(first.socket());
    }
    // Released on close: a successor starts.
    try (PassportHost successor = host(dir.resolve("two.sock"), state)) {
      assertAnswers(successor.socket());
    }
  }

  @Test
  void start_staleSocketNothingAnswersOn_isReplaced() throws Exception {
    Path socket = dir.resolve("csi.sock");
    // What a SIGKILLed host leaves: a socket file nobody listens on (closing a JDK channel keeps it).
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(socket));
    }

    try (PassportHost host = host(socket, dir.resolve("state"))) {
      assertAnswers(socket);
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void exit_afterAnotherHostTookTheSocketPathOver_leavesTheOthersSocket() throws Exception {
    Path socket = dir.resolve("csi.sock");
    PassportHost first = host(socket, dir.resolve("state-1"));
    try {
      // Someone removed the first host's socket file and a second host bound the path afresh.
      Files.delete(socket);
      try (PassportHost second = host(socket, dir.resolve("state-2"))) {
        Object secondsSocket = fileKey(socket);

        first.close();

        assertThat(fileKey(socket)).isEqualTo(secondsSocket);
        assertAnswers(socket);
      }
      assertThat(socket).doesNotExist();
    } finally {
      first.close();
    }
  }

  @Test
  void start_leavesNothingButTheSocketBesideIt() throws Exception {
    Path sockets = Files.createDirectories(dir.resolve("plugins/passport.csi.dev"));
    try (PassportHost host = host(sockets.resolve("csi.sock"), dir.resolve("state"))) {
      try (var entries = Files.list(sockets)) {
        assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("csi.sock");
      }
    }
  }

  private PassportHost host(Path socket, Path state) throws Exception {
    return PassportHost.builder()
        .socket(socket)
        .stateDir(state)
        .kubeletDir(dir.resolve("kubelet"))
        .mountMode(MountMode.DIRECTORY)
        .start();
  }

  private static void assertAnswers(Path socket) {
    try (CsiClient client = new CsiClient(socket)) {
      assertThat(client.identity().probe(Csi.ProbeRequest.getDefaultInstance()).getReady().getValue())
          .isTrue();
    }
  }

  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }
}
