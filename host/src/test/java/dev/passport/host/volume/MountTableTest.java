package dev.passport.host.volume;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountTableTest {
  @TempDir Path dir;

  @Test
  void parse_lineWithOptionalFields_readsMountPointTypeAndOptions() {
    assertThat(MountTable.parse("36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue"))
        .contains(new MountTable.Entry(Path.of("/mnt/parent"), "ext3", "rw,errors=continue"));
  }

  @Test
  void parse_escapedMountPoint_decodesOctalEscapes() {
    assertThat(MountTable.parse("63 43 0:39 / /var/lib/my\\040volume\\011tab\\134x rw - tmpfs tmpfs rw,size=1024k"))
        .map(MountTable.Entry::mountPoint)
        .contains(Path.of("/var/lib/my volume\ttab\\x"));
  }

  @Test
  void unescape_multiByteNamesSurvive() {
    assertThat(MountTable.unescape("/v/caf\\303\\251")).isEqualTo("/v/café");
    assertThat(MountTable.unescape("/v/café")).isEqualTo("/v/café");
    assertThat(MountTable.unescape("/v/\\9x")).isEqualTo("/v/\\9x");
  }

  @Test
  void parse_garbage_isSkipped() {
    assertThat(MountTable.parse("")).isEmpty();
    assertThat(MountTable.parse("1 2 3 4 5 6 7")).isEmpty();
  }

  @Test
  void find_stackedMounts_returnsTheTopmostAndCountsAll() throws IOException {
    Path target = dir.toRealPath().resolve("vol");
    MountTable table = tableWith(
        "20 1 0:20 / / rw - ext4 /dev/sda1 rw",
        "63 20 0:39 / " + target + " rw - tmpfs tmpfs rw,size=1024k",
        "64 63 0:40 / " + target + " rw - tmpfs tmpfs rw,size=2048k");

    assertThat(table.find(target)).map(MountTable.Entry::superOptions).contains("rw,size=2048k");
    assertThat(table.count(target)).isEqualTo(2);
    assertThat(table.find(dir.resolve("other"))).isEmpty();
    assertThat(table.find(dir.resolve("missing-parent/vol"))).isEmpty();
  }

  @Test
  void find_parentReachedThroughALink_matchesTheResolvedPath() throws IOException {
    Path real = Files.createDirectory(dir.resolve("real"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), real);
    MountTable table = tableWith("63 20 0:39 / " + real.toRealPath().resolve("vol") + " rw - tmpfs tmpfs rw");

    assertThat(table.find(link.resolve("vol"))).isPresent();
  }

  private MountTable tableWith(String... lines) throws IOException {
    return new MountTable(Files.write(dir.resolve("mountinfo"), java.util.List.of(lines)));
  }
}
