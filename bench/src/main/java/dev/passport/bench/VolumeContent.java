package dev.passport.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.passport.bench.plugin.BenchBackendFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/** What a reader of a bench volume sees: nothing, or one complete generation of files. */
public final class VolumeContent {

  private VolumeContent() {}

  /**
   * The generation the target holds, read through the user-visible names as a pod would, or empty
   * when nothing was published there yet (no target, or no {@code ..data}).
   *
   * @throws IllegalStateException when the target holds a torn set: files of different
   *     generations, a missing or extra file, or a file of the wrong size
   */
  public static Optional<String> generation(Path target, int files, int fileSize) throws IOException {
    return generation(target, files, fileSize, true);
  }

  /**
   * Like {@link #generation(Path, int, int)}; with {@code allNames} false, a subset of the names
   * may be visible (a first publish cut short after its swap, before it linked every name: kubelet
   * starts no container before the publish succeeds, and the retry links the rest), but every
   * visible file must still belong to one and the same complete generation.
   */
  public static Optional<String> generation(Path target, int files, int fileSize, boolean allNames)
      throws IOException {
    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)
        || !Files.isSymbolicLink(target.resolve("..data"))) {
      return Optional.empty();
    }
    TreeSet<String> visible = new TreeSet<>();
    try (Stream<Path> entries = Files.list(target)) {
      entries.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("..")).forEach(visible::add);
    }
    TreeSet<String> expected = new TreeSet<>();
    for (int i = 0; i < files; i++) {
      expected.add(BenchBackendFactory.fileName(i));
    }
    boolean namesOk = allNames ? visible.equals(expected) : expected.containsAll(visible);
    if (!namesOk) {
      throw new IllegalStateException(target + " shows " + visible.size() + " names, expected "
          + files + ": " + difference(visible, expected));
    }
    String generation = null;
    for (int i = 0; i < files; i++) {
      if (!visible.contains(BenchBackendFactory.fileName(i))) {
        continue;
      }
      byte[] bytes = Files.readAllBytes(target.resolve(BenchBackendFactory.fileName(i)));
      String head = new String(bytes, 0, Math.min(bytes.length, 64), UTF_8);
      int end = head.indexOf(' ');
      if (!head.startsWith("generation=") || end < 0) {
        throw new IllegalStateException(target + "/" + BenchBackendFactory.fileName(i)
            + " does not start with a generation line");
      }
      String fileGeneration = head.substring("generation=".length(), end);
      if (generation == null) {
        generation = fileGeneration;
      } else if (!generation.equals(fileGeneration)) {
        throw new IllegalStateException(target + " is torn: one file has generation " + generation
            + ", " + BenchBackendFactory.fileName(i) + " has "
            + fileGeneration);
      }
      byte[] expectedBytes = BenchBackendFactory.content(fileGeneration, i, fileSize);
      if (!java.util.Arrays.equals(bytes, expectedBytes)) {
        throw new IllegalStateException(target + "/" + BenchBackendFactory.fileName(i) + " has "
            + bytes.length + " bytes that differ from what generation " + fileGeneration + " wrote");
      }
    }
    // ..data without any visible name yet: a first publish cut short right after its swap.
    return Optional.ofNullable(generation);
  }

  private static String difference(TreeSet<String> visible, TreeSet<String> expected) {
    TreeSet<String> missing = new TreeSet<>(expected);
    missing.removeAll(visible);
    TreeSet<String> extra = new TreeSet<>(visible);
    extra.removeAll(expected);
    return "missing " + missing + ", unexpected " + extra;
  }
}
