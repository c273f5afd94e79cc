package dev.passport.bench.plugin;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The benchmark backend ({@code backend: bench}): answers at once with {@code files} files of
 * {@code fileSize} bytes, so that a benchmark measures the host and nothing else. Self-contained
 * (JDK and plugin API only), so that it loads from a real plugin directory as well as in-process.
 *
 * <p>Configuration ({@code bench.properties}), all optional: {@code files} (default 10),
 * {@code fileSize} (bytes, default 256), {@code refreshSeconds} (a {@code refreshAt} that many
 * seconds after each fetch; default none, i.e. the host's refresh interval).
 *
 * <p>Volume attributes override the configuration per volume: {@code files}, {@code fileSize},
 * {@code generation} (stamped into every file, so a test can tell an old set from a new one), and
 * {@code material}: {@code static} (no refreshAt), {@code lease} (a 30 min lease, refreshed at 2/3)
 * or {@code cert} (a 24 h certificate, refreshed at 2/3).
 *
 * <p>In-process, the factory also counts calls and can simulate an outage ({@link #fail}).
 */
public final class BenchBackendFactory implements BackendFactory {

  public static final String NAME = "bench";
  public static final String AUDIENCE = "bench";
  public static final String FILES = "files";
  public static final String FILE_SIZE = "fileSize";
  public static final String GENERATION = "generation";
  public static final String MATERIAL = "material";
  public static final String REFRESH_SECONDS = "refreshSeconds";

  private static final Set<String> CONFIG_KEYS = Set.of(FILES, FILE_SIZE, REFRESH_SECONDS);
  private static final Set<String> ATTRIBUTE_KEYS = Set.of(FILES, FILE_SIZE, GENERATION, MATERIAL);
  private static final int MAX_FILES = 1000;
  private static final int MAX_FILE_SIZE = 1024 * 1024;

  private final AtomicInteger calls = new AtomicInteger();
  private final Map<String, List<Instant>> callsByVolume = new ConcurrentHashMap<>();
  private final AtomicReference<BackendException.Kind> failure = new AtomicReference<>();
  private final AtomicInteger releases = new AtomicInteger();
  private final AtomicReference<String> servedGeneration = new AtomicReference<>();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context)
      throws BackendException {
    for (String key : config.keySet()) {
      if (!CONFIG_KEYS.contains(key)) {
        throw new BackendException(BackendException.Kind.INVALID_ARGUMENT,
            "bench.properties: unknown key \"" + key + "\"; known keys are " + CONFIG_KEYS);
      }
    }
    int files = intIn(config, FILES, 10, 1, MAX_FILES, "bench.properties key");
    int fileSize = intIn(config, FILE_SIZE, 256, 0, MAX_FILE_SIZE, "bench.properties key");
    int refreshSeconds = intIn(config, REFRESH_SECONDS, 0, 0, Integer.MAX_VALUE, "bench.properties key");
    return new Bench(context.clock(), files, fileSize,
        refreshSeconds == 0 ? null : Duration.ofSeconds(refreshSeconds));
  }

  /** Fetches made so far (in-process only). */
  public int calls() {
    return calls.get();
  }

  /** Fetches of one volume so far (in-process only). */
  public int calls(String volumeId) {
    return callTimes(volumeId).size();
  }

  /** When each fetch of a volume happened, by the backend's clock (in-process only). */
  public List<Instant> callTimes(String volumeId) {
    List<Instant> times = callsByVolume.get(volumeId);
    return times == null ? List.of() : List.copyOf(times);
  }

  /** Releases (unpublishes) so far (in-process only). */
  public int releases() {
    return releases.get();
  }

  /**
   * Serves this generation whatever the attributes say, as a rotated secret would appear in the
   * backend (in-process only); {@code null} returns to the attribute's.
   */
  public void serveGeneration(String generation) {
    servedGeneration.set(generation);
  }

  /** Fails every fetch with this kind from now on; {@code null} serves again. */
  public void fail(BackendException.Kind kind) {
    failure.set(kind);
  }

  /** A volume's attributes, parsed once: the file count and size, the generation, the kind. */
  record BenchVolume(int files, int fileSize, String generation, String kind)
      implements PreparedVolume {
    @Override
    public Set<String> audiences() {
      return Set.of(AUDIENCE);
    }
  }

  private final class Bench implements Backend<BenchVolume> {
    private final Clock clock;
    private final int files;
    private final int fileSize;
    private final Duration refreshAfter;

    Bench(Clock clock, int files, int fileSize, Duration refreshAfter) {
      this.clock = clock;
      this.files = files;
      this.fileSize = fileSize;
      this.refreshAfter = refreshAfter;
    }

    @Override
    public BenchVolume prepare(Map<String, String> attributes) throws BackendException {
      for (String key : attributes.keySet()) {
        if (!ATTRIBUTE_KEYS.contains(key)) {
          throw new BackendException(BackendException.Kind.INVALID_ARGUMENT,
              "unknown volume attribute \"" + key + "\" for backend bench; known: " + ATTRIBUTE_KEYS);
        }
      }
      return new BenchVolume(intIn(attributes, FILES, files, 1, MAX_FILES, "volume attribute"),
          intIn(attributes, FILE_SIZE, fileSize, 0, MAX_FILE_SIZE, "volume attribute"),
          attributes.getOrDefault(GENERATION, "0"), kind(attributes));
    }

    @Override
    public Material fetch(BenchVolume volume, FetchRequest request) throws BackendException {
      request.token(AUDIENCE);
      Instant now = clock.instant();
      calls.incrementAndGet();
      callsByVolume.computeIfAbsent(request.volumeId(), k -> new CopyOnWriteArrayList<>()).add(now);
      BackendException.Kind failing = failure.get();
      if (failing != null) {
        throw new BackendException(failing, "bench backend is down (" + failing + ")");
      }
      String served = servedGeneration.get();
      String generation = served != null ? served : volume.generation();
      List<MaterialFile> content = new ArrayList<>(volume.files());
      for (int i = 0; i < volume.files(); i++) {
        // Charged before it is "read", as a plugin charges a body off the wire (issue 13).
        request.budget().charge(volume.fileSize());
        content.add(MaterialFile.of(fileName(i), content(generation, i, volume.fileSize())));
      }
      Material material = Material.of(content);
      return switch (volume.kind()) {
        case "lease" -> material.withExpiresAt(now.plus(Duration.ofMinutes(30)))
            .withRefreshAt(now.plus(Duration.ofMinutes(20)));
        case "cert" -> material.withExpiresAt(now.plus(Duration.ofHours(24)))
            .withRefreshAt(now.plus(Duration.ofHours(16)));
        default -> refreshAfter == null ? material : material.withRefreshAt(now.plus(refreshAfter));
      };
    }

    @Override
    public void release(String volumeId) {
      releases.incrementAndGet();
    }

    @Override
    public void close() {}
  }

  /** The name of file {@code index} of every bench volume. */
  public static String fileName(int index) {
    return String.format("file-%03d", index);
  }

  /**
   * The bytes of file {@code index}: a first line {@code generation=<g> file=<index>}, padded to
   * {@code size} bytes (or cut to it) so that the size is exact.
   */
  public static byte[] content(String generation, int index, int size) {
    byte[] head = ("generation=" + generation + " file=" + index + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[Math.max(size, head.length)];
    Arrays.fill(bytes, (byte) 'x');
    System.arraycopy(head, 0, bytes, 0, head.length);
    return bytes;
  }

  private static String kind(Map<String, String> attributes) throws BackendException {
    String kind = attributes.getOrDefault(MATERIAL, "static");
    if (!kind.equals("static") && !kind.equals("lease") && !kind.equals("cert")) {
      throw new BackendException(BackendException.Kind.INVALID_ARGUMENT,
          "volume attribute \"material\" must be static, lease or cert, got \"" + kind + "\"");
    }
    return kind;
  }

  private static int intIn(Map<String, String> values, String key, int fallback, int min, int max,
      String what) throws BackendException {
    String value = values.get(key);
    if (value == null) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below, with the rule
    }
    throw new BackendException(BackendException.Kind.INVALID_ARGUMENT,
        what + " \"" + key + "\" must be a whole number from " + min + " to " + max + ", got \""
            + value + "\"");
  }
}
