package dev.passport.host.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.MaterialFile;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DirectoryModesTest {

  /** File modes (space-separated) → data directory and target: r or x for a class gives it r-x. */
  @ParameterizedTest(name = "files {0} -> data dirs {1}, target {2}")
  @CsvSource({
      "0644, 0555, 0755",
      "0440, 0550, 0750",
      "0400, 0500, 0700",
      "0600, 0500, 0700",
      "0444, 0555, 0755",
      "0640, 0550, 0750",
      "0604, 0505, 0705",
      "0711, 0555, 0755",
      "0000, 0500, 0700",
      "0440 0644, 0555, 0755",
      "0400 0440, 0550, 0750"})
  void modes_followTheClassesThatMayReadSomeFile(String fileModes, String dataDir, String target) {
    List<MaterialFile> files = Arrays.stream(fileModes.split(" "))
        .map(m -> MaterialFile.of("f" + m, new byte[0], Integer.parseInt(m, 8)))
        .toList();

    assertThat(octal(DirectoryModes.dataDirectory("", files))).isEqualTo(dataDir);
    assertThat(octal(DirectoryModes.target(files))).isEqualTo(target);
  }

  @ParameterizedTest(name = "[{index}] ''{0}'' -> {1}")
  @CsvSource({"db, 0500", "db/inner, 0500", "pub, 0555", "'', 0555"})
  void dataDirectory_inside_followsOnlyTheFilesBeneathIt(String directory, String mode) {
    List<MaterialFile> files = List.of(MaterialFile.of("db/inner/password", new byte[0], 0400),
        MaterialFile.of("pub/ca.crt", new byte[0], 0644), MaterialFile.of("dbx", new byte[0], 0644));

    assertThat(octal(DirectoryModes.dataDirectory(directory, files))).isEqualTo(mode);
  }

  private static String octal(int mode) {
    return String.format("%04o", mode);
  }
}
