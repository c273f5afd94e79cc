package dev.passport.host.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The attributes hash keys recorded volume states and the cache: its value must never change. */
class AttributesHashTest {

  @Test
  void attributesHash_isTheValueRecordedBefore_inAnyAttributeOrder() {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("secretProviderClass", "db");
    attributes.put("objects", "- path: x\n");
    attributes.put("", "");
    attributes.put("é", "\0");
    // Recorded from the release before FieldHash.
    assertThat(VolumeSpec.attributesHash(attributes)).isEqualTo("7fbd9f47bdee340e0a6cbd2b42060b47");
    assertThat(VolumeSpec.attributesHash(Map.of(
        "é", "\0", "", "", "objects", "- path: x\n", "secretProviderClass", "db")))
        .isEqualTo("7fbd9f47bdee340e0a6cbd2b42060b47");
    assertThat(VolumeSpec.attributesHash(Map.of())).isEqualTo("e3b0c44298fc1c149afbf4c8996fb924");
  }

  @Test
  void attributesHash_fieldsAreLengthPrefixed_soShiftedBoundariesDiffer() {
    assertThat(VolumeSpec.attributesHash(Map.of("ab", "c")))
        .isNotEqualTo(VolumeSpec.attributesHash(Map.of("a", "bc")));
  }
}
