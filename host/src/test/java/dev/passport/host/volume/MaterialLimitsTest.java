package dev.passport.host.volume;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.MaterialFile;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MaterialLimitsTest {
  private final MaterialLimits limits = MaterialLimits.defaults();

  @Test
  void defaults_are1000Files4MiBPerFile8MiBTotal() {
    assertThat(limits).isEqualTo(new MaterialLimits(1000, 4 * 1024 * 1024, 8 * 1024 * 1024));
  }

  @Test
  void validFiles_pass() {
    assertThatCode(() -> limits.validate(List.of(file("tls.crt"), file("db/password"),
        file("a.b/c..d/x.."), file(".hidden"), file("dir/.config"))))
        .doesNotThrowAnyException();
  }

  @Test
  void noFiles_isRefused() {
    assertThatThrownBy(() -> limits.validate(List.of()))
        .isInstanceOf(InvalidMaterialException.class)
        .hasMessage("the backend returned no files; a volume must hold at least one file");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
      "/etc/passwd   | file path \"/etc/passwd\" is invalid: it is absolute; use a path relative to the volume",
      "../escape     | file path \"../escape\" is invalid: it contains a \"..\" segment; paths must stay inside the volume",
      "a/../../b     | file path \"a/../../b\" is invalid: it contains a \"..\" segment; paths must stay inside the volume",
      "./a           | file path \"./a\" is invalid: it contains a \".\" segment",
      "a/./b         | file path \"a/./b\" is invalid: it contains a \".\" segment",
      "a//b          | file path \"a//b\" is invalid: it has an empty segment (\"//\" or a trailing \"/\")",
      "a/            | file path \"a/\" is invalid: it has an empty segment (\"//\" or a trailing \"/\")",
      "a\\b          | file path \"a\\b\" is invalid: it contains a backslash; separate directories with \"/\"",
      "..data        | file path \"..data\" is invalid: the name \"..data\" starts with \"..\", which is reserved for the volume's internal entries",
      "d/..2020_01   | file path \"d/..2020_01\" is invalid: the name \"..2020_01\" starts with \"..\", which is reserved for the volume's internal entries",
  })
  void badPath_isRefusedNamingThePathAndTheRule(String path, String message) {
    assertThatThrownBy(() -> limits.validate(List.of(file("ok"), file(path))))
        .isInstanceOf(InvalidMaterialException.class)
        .hasMessage(message);
  }

  @Test
  void emptyPath_isRefused() {
    assertThatThrownBy(() -> limits.validate(List.of(file(""))))
        .hasMessage("a file path is empty; every file needs a relative path such as \"tls.crt\"");
  }

  @Test
  void nulInPath_isRefusedAndShownEscaped() {
    assertThatThrownBy(() -> limits.validate(List.of(file("a\0b"))))
        .hasMessage("file path \"a\\x00b\" is invalid: it contains a NUL character");
  }

  @Test
  void overlongSegment_isRefused() {
    String name = "n".repeat(256);
    assertThatThrownBy(() -> limits.validate(List.of(file("dir/" + name))))
        .hasMessage("file path \"dir/" + name + "\" is invalid: a segment is longer than 255 bytes");
  }

  @Test
  void duplicatePath_isRefused() {
    assertThatThrownBy(() -> limits.validate(List.of(file("a"), file("b"), file("a"))))
        .hasMessage("file \"a\" appears more than once; paths must be unique");
  }

  @Test
  void pathThatIsAlsoADirectory_isRefused() {
    assertThatThrownBy(() -> limits.validate(List.of(file("db/x/password"), file("db/x"))))
        .hasMessage("\"db/x\" is both a file and the directory of \"db/x/password\"; rename one of them");
  }

  @Test
  void tooManyFiles_isRefused() {
    List<MaterialFile> files = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      files.add(file("f" + i));
    }
    assertThatThrownBy(() -> new MaterialLimits(2, 10, 10).validate(files))
        .hasMessage("the backend returned 3 files, more than the limit of 2 files per volume");
  }

  @Test
  void fileTooLarge_isRefused() {
    assertThatThrownBy(() -> new MaterialLimits(10, 4, 100).validate(
        List.of(MaterialFile.of("big", new byte[5]))))
        .hasMessage("file \"big\" is 5 bytes, more than the limit of 4 bytes per file");
  }

  @Test
  void totalTooLarge_isRefused() {
    assertThatThrownBy(() -> new MaterialLimits(10, 4, 7).validate(
        List.of(MaterialFile.of("a", new byte[4]), MaterialFile.of("b", new byte[4]))))
        .hasMessage("the backend returned 8 bytes in total, more than the limit of 7 bytes per volume");
  }

  @Test
  void nonPositiveLimits_areRejectedAtConstruction() {
    assertThatThrownBy(() -> new MaterialLimits(0, 1, 1)).hasMessage("maxFiles is 0, must be at least 1");
    assertThatThrownBy(() -> new MaterialLimits(1, 0, 1)).hasMessage("maxFileBytes is 0, must be at least 1");
    assertThatThrownBy(() -> new MaterialLimits(1, 2, 1))
        .hasMessage("maxTotalBytes is 1, must be at least maxFileBytes (2)");
  }

  private static MaterialFile file(String path) {
    return MaterialFile.of(path, "x".getBytes(UTF_8));
  }
}
