package dev.passport.host.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
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

  @Test
  void memo_neverHoldsMoreThan1024Hashes_whateverAttributesPodsSend() {
    for (int i = 0; i < 5_000; i++) {
      VolumeSpec.attributesHash(Map.of("objects", "pod-" + i));
      assertThat(VolumeSpec.memoSize()).isLessThanOrEqualTo(1024);
    }
  }

  @Test
  void memo_keepsNoAttributesLongerThan4096Chars_andHashesThemTheSame() {
    String large = "x".repeat(4097);
    String expected = VolumeSpec.attributesHash(Map.of("objects", large));
    for (int i = 0; i < 100; i++) {
      int before = VolumeSpec.memoSize();
      // a distinct large value each time: kept, each would cost the memo 8 KiB or more
      assertThat(VolumeSpec.attributesHash(Map.of("objects", large, "n", Integer.toString(i))))
          .hasSize(32);
      assertThat(VolumeSpec.memoSize()).isEqualTo(before);
    }
    assertThat(VolumeSpec.attributesHash(Map.of("objects", large))).isEqualTo(expected);
    assertThat(VolumeSpec.memoSize()).isLessThanOrEqualTo(1024);
  }

  @Test
  void memo_isACopy_soAMapChangedAfterHashingGetsItsOwnHash() {
    Map<String, String> attributes = new HashMap<>(Map.of("objects", "before"));
    String before = VolumeSpec.attributesHash(attributes);
    attributes.put("objects", "after");
    assertThat(VolumeSpec.attributesHash(attributes)).isNotEqualTo(before)
        .isEqualTo(VolumeSpec.attributesHash(Map.of("objects", "after")));
    assertThat(VolumeSpec.attributesHash(Map.of("objects", "before"))).isEqualTo(before);
  }
}
