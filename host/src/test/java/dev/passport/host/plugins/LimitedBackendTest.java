package dev.passport.host.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import dev.passport.host.volume.MaterialLimits;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The chain's material check: over a size or count limit is RESOURCE_EXHAUSTED, a bad path INTERNAL. */
class LimitedBackendTest {

  private static final MaterialLimits LIMITS = new MaterialLimits(2, 4, 6);

  @Test
  void fetch_overAnySizeOrCountLimit_isResourceExhaustedNamingThatLimit() {
    assertKind(List.of(file("a", 5)), BackendException.Kind.RESOURCE_EXHAUSTED,
        "more than the limit of 4 bytes per file");
    assertKind(List.of(file("a", 4), file("b", 3)), BackendException.Kind.RESOURCE_EXHAUSTED,
        "more than the limit of 6 bytes per volume");
    assertKind(List.of(file("a", 1), file("b", 1), file("c", 1)),
        BackendException.Kind.RESOURCE_EXHAUSTED, "more than the limit of 2 files per volume");
  }

  @Test
  void fetch_pathRuleBroken_staysInternal() {
    assertKind(List.of(file("../escape", 1)), BackendException.Kind.INTERNAL, "\"..\" segment");
  }

  @Test
  void fetch_withinTheLimits_returnsTheMaterial() throws BackendException {
    Material material = Material.of(List.of(file("a", 4), file("b", 2)));
    assertThat(limited(material).fetch(() -> Set.of(), TestContexts.fetchRequest()))
        .isSameAs(material);
  }

  private static void assertKind(List<MaterialFile> files, BackendException.Kind kind,
      String message) {
    assertThatThrownBy(() -> limited(Material.of(files)).fetch(() -> Set.of(),
        TestContexts.fetchRequest()))
        .isInstanceOfSatisfying(UnusableMaterialException.class,
            e -> assertThat(e.kind()).isEqualTo(kind))
        .hasMessageContaining(message);
  }

  private static LimitedBackend<PreparedVolume> limited(Material answer) {
    return new LimitedBackend<>(new Backend<PreparedVolume>() {
      @Override
      public PreparedVolume prepare(Map<String, String> attributes) {
        return Set::of;
      }

      @Override
      public Material fetch(PreparedVolume volume, FetchRequest request) {
        return answer;
      }

      @Override
      public void close() {}
    }, LIMITS);
  }

  private static MaterialFile file(String path, int size) {
    return MaterialFile.of(path, new byte[size]);
  }
}
