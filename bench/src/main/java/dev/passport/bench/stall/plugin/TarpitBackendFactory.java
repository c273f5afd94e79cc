package dev.passport.bench.stall.plugin;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The stall benchmark's backend ({@code backend: tarpit}): each fetch connects to the volume's
 * {@code remote} ({@code tcp://127.0.0.1:PORT}) and reads until the server closes, as a plugin
 * does with a server that accepts and never answers. A blocking socket read ignores interrupts,
 * so a fetch the host gave up on still holds its thread: the worst case for the host's limits.
 */
public final class TarpitBackendFactory implements BackendFactory {

  public static final String NAME = "tarpit";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context) {
    return new Tarpit();
  }

  private record TarpitVolume(String address, String host, int port) implements PreparedVolume {
    @Override
    public Set<String> audiences() {
      return Set.of(NAME);
    }

    @Override
    public Optional<String> remote() {
      return Optional.of(address);
    }
  }

  private static final class Tarpit implements Backend<TarpitVolume> {

    @Override
    public TarpitVolume prepare(Map<String, String> attributes) throws BackendException {
      String remote = attributes.get("remote");
      if (remote == null || !remote.startsWith("tcp://")) {
        throw BackendException.invalid("attribute \"remote\" must be tcp://HOST:PORT");
      }
      URI uri = URI.create(remote);
      return new TarpitVolume(remote, uri.getHost(), uri.getPort());
    }

    @Override
    public Material fetch(TarpitVolume volume, FetchRequest request) throws BackendException {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(volume.host(), volume.port()), 5_000);
        InputStream in = socket.getInputStream();
        while (in.read() >= 0) {
          // a tarpit never answers; whatever it might send is not material
        }
      } catch (IOException e) {
        throw new BackendException(BackendException.Kind.UNAVAILABLE,
            "tarpit " + volume.address() + ": " + e.getMessage());
      }
      throw new BackendException(BackendException.Kind.UNAVAILABLE,
          "tarpit " + volume.address() + " closed the connection");
    }

    @Override
    public void release(String volumeId) {}

    @Override
    public void close() {}
  }
}
