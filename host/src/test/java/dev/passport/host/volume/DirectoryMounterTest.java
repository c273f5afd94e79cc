package dev.passport.host.volume;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.MaterialFile;
import dev.passport.host.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryMounterTest {
  private final Mounter mounter = Mounter.forMode(MountMode.DIRECTORY);

  @TempDir Path parent;

  @Test
  void mount_createsTheTargetAndIsIdempotent() throws IOException {
    Path target = parent.resolve("vol");
    assertThat(mounter.isMounted(target)).isFalse();

    mounter.mount(target, 1024);
    Files.writeString(target.resolve("kept"), "x");
    mounter.mount(target, 1024);

    assertThat(mounter.isMounted(target)).isTrue();
    assertThat(target.resolve("kept")).hasContent("x");
  }

  @Test
  void unmountAndRemove_removesAWrittenVolumeAndIsIdempotent() throws IOException {
    Path target = parent.resolve("vol");
    mounter.mount(target, 1024);
    new AtomicWriter(target).write(List.of(file("db/password"), file("tls.crt")), OptionalInt.of(4242));

    mounter.unmountAndRemove(target);
    mounter.unmountAndRemove(target);

    assertThat(target).doesNotExist();
    assertThat(mounter.isMounted(target)).isFalse();
  }

  @Test
  void unmountAndRemove_missingTarget_isFine() throws IOException {
    mounter.unmountAndRemove(parent.resolve("never-mounted"));

    assertThat(parent).isEmptyDirectory();
  }

  @Test
  void unmountAndRemove_entriesPassportDidNotWrite_areLeftInPlaceAndNothingOutsideIsTouched(
      @TempDir Path outside) throws IOException {
    Path precious = Files.writeString(outside.resolve("precious"), "keep me");
    Files.createDirectory(outside.resolve("dir"));
    Files.writeString(outside.resolve("dir/also-precious"), "keep me too");
    TreeSnapshot outsideBefore = TreeSnapshot.of(outside);
    Path target = parent.resolve("vol");
    mounter.mount(target, 1024);
    new AtomicWriter(target).write(List.of(file("db/password"), file("tls.crt")), OptionalInt.empty());
    Files.createSymbolicLink(target.resolve("file-link"), precious);
    Files.createSymbolicLink(target.resolve("dir-link"), outside.resolve("dir"));
    Files.createDirectory(target.resolve("nested"));
    Files.createSymbolicLink(target.resolve("nested/up"), outside);
    Files.createDirectory(target.resolve("..not-a-data-dir"));

    mounter.unmountAndRemove(target);

    assertThat(entries(target)).containsExactlyInAnyOrder("file-link", "dir-link", "nested", "..not-a-data-dir");
    assertThat(Files.isSymbolicLink(target.resolve("nested/up"))).isTrue();
    assertThat(TreeSnapshot.of(outside)).isEqualTo(outsideBefore);
  }

  @Test
  void unmountAndRemove_unknownPathWithContent_touchesNothing(@TempDir Path outside) throws IOException {
    Path foreign = Files.createDirectories(parent.resolve("someone-elses/data"));
    Files.writeString(foreign.resolve("file"), "theirs");
    Files.createSymbolicLink(foreign.resolve("link"), outside);
    Files.createSymbolicLink(foreign.resolve("..data-looking"), Path.of("..data/x"));
    Files.createDirectories(foreign.resolve("sub/deeper"));
    TreeSnapshot before = TreeSnapshot.of(parent);

    mounter.unmountAndRemove(foreign);
    mounter.unmountAndRemove(foreign.resolve("file"));

    assertThat(TreeSnapshot.of(parent)).isEqualTo(before);
  }

  @Test
  void unmountAndRemove_targetIsALink_leavesTheLinkAndWhatItPointsTo(@TempDir Path outside)
      throws IOException {
    Files.writeString(outside.resolve("precious"), "keep me");
    Path target = Files.createSymbolicLink(parent.resolve("vol"), outside);

    mounter.unmountAndRemove(target);

    assertThat(Files.isSymbolicLink(target)).isTrue();
    assertThat(outside.resolve("precious")).hasContent("keep me");
  }

  @Test
  void mount_targetIsALink_isRefused(@TempDir Path outside) throws IOException {
    Path target = Files.createSymbolicLink(parent.resolve("vol"), outside);

    assertThatThrownBy(() -> mounter.mount(target, 1024))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("exists but is not a directory");
    assertThat(mounter.isMounted(target)).isFalse();
  }

  private static Set<String> entries(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static MaterialFile file(String path) {
    return MaterialFile.of(path, path.getBytes(UTF_8));
  }
}
