package dev.passport.plugins.certmanager;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** A listener that only counts who connected to it: an address no connection may reach. */
final class ConnectionTrap implements AutoCloseable {

  private final ServerSocket socket;
  private int connections;

  ConnectionTrap() throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
  }

  /** {@code http://127.0.0.1:<port>}. */
  String url() {
    return "http://" + hostPort();
  }

  String hostPort() {
    return "127.0.0.1:" + socket.getLocalPort();
  }

  /**
   * The connections made so far. The kernel completes a connection into the backlog before
   * anyone accepts it, so one made before this call is found without waiting on the client.
   */
  synchronized int connections() throws IOException {
    socket.setSoTimeout(200);
    while (true) {
      try (Socket ignored = socket.accept()) {
        connections++;
      } catch (SocketTimeoutException e) {
        return connections;
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
