package dev.passport.host.volume;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.MaterialFile;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContentHashTest {

  @Test
  void sameFilesInAnyOrder_sameHash() {
    assertThat(ContentHash.of(List.of(file("a", "1", 0440), file("b/c", "2", 0400))))
        .isEqualTo(ContentHash.of(List.of(file("b/c", "2", 0400), file("a", "1", 0440))))
        .matches("[0-9a-f]{64}");
  }

  @Test
  void differentContentModeOrPath_differentHash() {
    String base = ContentHash.of(List.of(file("a", "1", 0440)));

    assertThat(ContentHash.of(List.of(file("a", "2", 0440)))).isNotEqualTo(base);
    assertThat(ContentHash.of(List.of(file("a", "1", 0400)))).isNotEqualTo(base);
    assertThat(ContentHash.of(List.of(file("b", "1", 0440)))).isNotEqualTo(base);
    assertThat(ContentHash.of(List.of())).isNotEqualTo(base);
  }

  @Test
  void bytesShiftedBetweenPathAndContent_differentHash() {
    assertThat(ContentHash.of(List.of(file("ab", "c", 0440))))
        .isNotEqualTo(ContentHash.of(List.of(file("a", "bc", 0440))));
  }

  private static MaterialFile file(String path, String content, int mode) {
    return MaterialFile.of(path, content.getBytes(UTF_8), mode);
  }
}
