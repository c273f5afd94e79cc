package dev.passport.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.passport.api.ServiceAccountToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A volume {@link FakeKubelet} has published: where it is, what the pod sees in it, and the tokens
 * sent last. Thread-safe.
 *
 * <p>Reading follows symlinks as the pod's processes do, so it works the same for a plain
 * directory and for an atomic-writer layout ({@code ..data -> ..<timestamp>/}, {@code file ->
 * ..data/file}); entries whose name starts with {@code ..} are the writer's and are not listed.
 */
public final class MountedVolume {

  private final PodVolume spec;
  private volatile Map<String, ServiceAccountToken> tokens;

  MountedVolume(PodVolume spec, Map<String, ServiceAccountToken> tokens) {
    this.spec = requireNonNull(spec, "spec is null");
    this.tokens = Map.copyOf(tokens);
  }

  /**
   * A volume published by hand ({@link FakeKubelet#publish} of a {@link FakeKubelet#publishRequest}),
   * to read what the host wrote there.
   */
  public static MountedVolume of(PodVolume spec, Map<String, ServiceAccountToken> tokens) {
    return new MountedVolume(spec, requireNonNull(tokens, "tokens is null"));
  }

  /** The volume as the pod spec declares it. */
  public PodVolume spec() {
    return spec;
  }

  /** The CSI volume id ({@code csi-<sha256>}). */
  public String volumeId() {
    return spec.volumeId();
  }

  /** The target path kubelet asked for. */
  public Path targetPath() {
    return spec.targetPath();
  }

  /** The tokens sent with the last publish or republish, by audience. */
  public Map<String, ServiceAccountToken> tokens() {
    return tokens;
  }

  void tokens(Map<String, ServiceAccountToken> sent) {
    this.tokens = Map.copyOf(sent);
  }

  /**
   * The real file behind {@code name} (e.g. {@code tls.crt} or {@code db/password}), after every
   * symlink.
   *
   * @throws UncheckedIOException when the pod would not find it
   */
  public Path file(String name) {
    requireNonNull(name, "name is null");
    try {
      return targetPath().resolve(name).toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("the pod sees no file " + name + " in " + targetPath(), e);
    }
  }

  /** Whether the pod sees a file {@code name}. */
  public boolean exists(String name) {
    return Files.exists(targetPath().resolve(requireNonNull(name, "name is null")));
  }

  /** The bytes of {@code name}. */
  public byte[] readBytes(String name) {
    try {
      return Files.readAllBytes(file(name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name + " in " + targetPath(), e);
    }
  }

  /** The content of {@code name} as UTF-8. */
  public String read(String name) {
    return new String(readBytes(name), UTF_8);
  }

  /**
   * Every regular file the pod sees, by path relative to the target ({@code /}-separated), with its
   * content as UTF-8, sorted by path.
   */
  public SortedMap<String, String> readAll() {
    SortedMap<String, String> files = new TreeMap<>();
    Path root = targetPath();
    try (Stream<Path> walk = Files.walk(root, FileVisitOption.FOLLOW_LINKS)) {
      for (Path path : (Iterable<Path>) walk::iterator) {
        Path relative = root.relativize(path);
        if (relative.toString().isEmpty() || relative.getName(0).toString().startsWith("..")
            || !Files.isRegularFile(path)) {
          continue;
        }
        files.put(relative.toString().replace('\\', '/'),
            new String(Files.readAllBytes(path), UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
    return files;
  }

  /** The volume id and target; never a token or content. */
  @Override
  public String toString() {
    return "MountedVolume[" + volumeId() + " at " + targetPath() + ", pod="
        + spec.pod().namespace() + "/" + spec.pod().name() + "]";
  }
}
