package dev.passport.host.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {

  @TempDir Path dir;

  @Test
  void save_thenLoad_roundTrips_withMode0600() throws Exception {
    StateStore store = new StateStore(dir);
    VolumeState state = state("csi-1");
    store.save(state);

    assertThat(store.loadAll()).containsExactly(state);
    assertThat(Files.getPosixFilePermissions(store.fileOf("csi-1")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void loadAll_removesTempFilesOfACrashedSave_andSkipsUnreadableStates() throws Exception {
    StateStore store = new StateStore(dir);
    store.save(state("csi-1"));
    Files.writeString(dir.resolve(".abc.json.tmp"), "{\"volumeId\":");
    Files.writeString(dir.resolve("broken.json"), "{not json");

    assertThat(store.loadAll()).extracting(VolumeState::volumeId).containsExactly("csi-1");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void fileOf_volumeIdWithPathCharacters_staysInsideTheStateDir() throws Exception {
    StateStore store = new StateStore(dir);
    assertThat(store.fileOf("../../etc/passwd").getParent()).isEqualTo(dir);
  }

  private static VolumeState state(String volumeId) {
    Instant now = Instant.parse("2026-11-26T10:00:00Z");
    return new VolumeState(volumeId, "/pods/x/mount", "vault", "ns", "pod", "uid", "attrs",
        "vault=" + now, null, "hash", "..2026_11_26", "v1", now, now.plusSeconds(300), null, 0, null,
        null);
  }
}
