package dev.passport.host.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MountModeTest {

  @Test
  void parse_knownLabels_anyCase() {
    assertThat(MountMode.parse("tmpfs")).isEqualTo(MountMode.TMPFS);
    assertThat(MountMode.parse("Directory")).isEqualTo(MountMode.DIRECTORY);
    assertThat(MountMode.DIRECTORY.label()).isEqualTo("directory");
  }

  @Test
  void parse_unknownLabel_namesTheValueAndTheChoices() {
    assertThatThrownBy(() -> MountMode.parse("ramfs"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("mount mode \"ramfs\" is unknown; use \"tmpfs\" or \"directory\"");
  }
}
