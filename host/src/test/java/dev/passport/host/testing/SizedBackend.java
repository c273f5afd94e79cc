package dev.passport.host.testing;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process backend that answers files of the sizes a volume asks for, reading them the way a
 * plugin reads a body off the wire: the attribute {@code sizes} lists the file sizes
 * ({@code 32768,32768}), and unless {@code charge=false} every chunk of {@link #CHUNK_BYTES} is
 * charged to the request's budget before it is "read"; {@code fail=true} fails the fetch with
 * UNAVAILABLE after charging, as a connection lost mid-body would. Once all is charged a fetch waits at the
 * gate while it is closed ({@link #closeGate}), holding its budget, so tests can fill the host's
 * budget for material in flight on purpose.
 */
public final class SizedBackend implements BackendFactory {

  public static final String NAME = "sized";
  public static final String AUDIENCE = "sized";
  static final int CHUNK_BYTES = 16 * 1024;

  private final AtomicInteger holding = new AtomicInteger();
  private volatile CountDownLatch gate = new CountDownLatch(0);

  @Override
  public String name() {
    return NAME;
  }

  /** Fetches that charged everything wait here until {@link #openGate}. */
  public void closeGate() {
    gate = new CountDownLatch(1);
  }

  public void openGate() {
    gate.countDown();
  }

  /** How many fetches wait at the closed gate now. */
  public int holding() {
    return holding.get();
  }

  /** The {@code sizes} attribute for these file sizes. */
  public static String sizes(long... sizes) {
    StringBuilder out = new StringBuilder();
    for (long size : sizes) {
      out.append(out.length() == 0 ? "" : ",").append(size);
    }
    return out.toString();
  }

  private record Sized(long[] sizes, boolean charge, boolean fail) implements PreparedVolume {
    @Override
    public Set<String> audiences() {
      return Set.of(AUDIENCE);
    }
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context) {
    return new Backend<Sized>() {
      @Override
      public Sized prepare(Map<String, String> attributes) throws BackendException {
        String sizes = attributes.get("sizes");
        if (sizes == null) {
          throw BackendException.invalid("the attribute \"sizes\" is required");
        }
        return new Sized(Arrays.stream(sizes.split(",")).mapToLong(Long::parseLong).toArray(),
            !"false".equals(attributes.get("charge")), "true".equals(attributes.get("fail")));
      }

      @Override
      public Material fetch(Sized volume, FetchRequest request) throws BackendException {
        request.token(AUDIENCE);
        if (volume.charge()) {
          for (long size : volume.sizes()) {
            for (long read = 0; read < size; read += CHUNK_BYTES) {
              request.budget().charge(Math.min(CHUNK_BYTES, size - read));
            }
          }
        }
        if (volume.fail()) {
          throw new BackendException(BackendException.Kind.UNAVAILABLE, "connection lost mid-body");
        }
        waitAtTheGate();
        List<MaterialFile> files = new ArrayList<>();
        for (int i = 0; i < volume.sizes().length; i++) {
          byte[] content = new byte[(int) volume.sizes()[i]];
          Arrays.fill(content, (byte) ('a' + i % 26));
          files.add(MaterialFile.of("blob-" + i, content));
        }
        return Material.of(files);
      }

      @Override
      public void close() {}
    };
  }

  private void waitAtTheGate() throws BackendException {
    CountDownLatch waitFor = gate;
    if (waitFor.getCount() == 0) {
      return;
    }
    holding.incrementAndGet();
    try {
      if (!waitFor.await(60, TimeUnit.SECONDS)) {
        throw new BackendException(BackendException.Kind.UNAVAILABLE, "the gate stayed closed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(BackendException.Kind.UNAVAILABLE, "interrupted at the gate");
    } finally {
      holding.decrementAndGet();
    }
  }
}
