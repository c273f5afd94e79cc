package dev.passport.host.volume;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FileModesTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({"0644, 420", "644, 420", "0440, 288", "0o440, 288", "0, 0", "0777, 511", "0000, 0"})
  void parse_octalPermissionBits_areTheDefault(String written, int mode) {
    assertThat(FileModes.parse(written).defaultMode()).isEqualTo(mode);
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @ValueSource(strings = {"", "rw-r--r--", "0999", "644x", "-1", "01000", "04755", "0x1a4", "420.0"})
  void parse_anythingElse_failsNamingTheValueAndTheForm(String written) {
    assertThatThrownBy(() -> FileModes.parse(written))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + written + "'")
        .hasMessageContaining("0000..0777")
        .hasMessageContaining("0440");
  }

  @Test
  void withDefault_outsidePermissionBits_isRefused() {
    assertThatThrownBy(() -> FileModes.withDefault(04755))
        .hasMessageContaining("04755 is not within 0000..0777");
  }

  @Test
  void defaults_isTheApiDefault0644() {
    assertThat(FileModes.defaults().defaultMode()).isEqualTo(MaterialFile.DEFAULT_MODE).isEqualTo(0644);
  }

  @Test
  void resolve_givesUnchosenModesTheDefault_andKeepsChosenOnes() {
    Material fetched = Material.of(List.of(MaterialFile.of("ca.crt", bytes("ca")),
            MaterialFile.of("tls.key", bytes("key"), 0400)))
        .withRefreshAt(Instant.parse("2026-12-01T10:00:00Z"))
        .withExpiresAt(Instant.parse("2026-12-01T11:00:00Z"))
        .withVersion("v7")
        .withGroup(2000);

    Material resolved = FileModes.withDefault(0440).resolve(fetched);

    assertThat(resolved.files()).extracting(MaterialFile::chosenMode)
        .containsExactly(OptionalInt.of(0440), OptionalInt.of(0400));
    assertThat(resolved.files().get(0).content()).isEqualTo(bytes("ca"));
    assertThat(resolved.refreshAt()).isEqualTo(fetched.refreshAt());
    assertThat(resolved.expiresAt()).isEqualTo(fetched.expiresAt());
    assertThat(resolved.version()).isEqualTo(fetched.version());
    assertThat(resolved.group()).isEqualTo(OptionalInt.of(2000));
  }

  @Test
  void resolve_everyModeChosen_returnsTheSameMaterial() {
    Material fetched = Material.of(List.of(MaterialFile.of("a", bytes("1"), 0600)));

    assertThat(FileModes.defaults().resolve(fetched)).isSameAs(fetched);
  }

  @Test
  void resolve_makesTheHashDependOnTheDefault() {
    Material fetched = Material.of(List.of(MaterialFile.of("a", bytes("1"))));

    assertThat(ContentHash.of(FileModes.withDefault(0440).resolve(fetched).files()))
        .isNotEqualTo(ContentHash.of(FileModes.defaults().resolve(fetched).files()));
  }

  @Test
  void describe_namesTheModesAndWhetherTheyAreTheDefault() {
    FileModes modes = FileModes.defaults();

    assertThat(modes.describe(List.of(file("a", 0644), file("b", 0644)))).isEqualTo("mode 0644 (default)");
    assertThat(modes.describe(List.of(file("a", 0440)))).isEqualTo("mode 0440");
    assertThat(modes.describe(List.of(file("a", 0644), file("b", 0400))))
        .isEqualTo("modes 0400, 0644 (default 0644)");
  }

  private static MaterialFile file(String path, int mode) {
    return MaterialFile.of(path, bytes("x"), mode);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }
}
