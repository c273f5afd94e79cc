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

  /** State written before plugin API 1.2 names the group fsGroup (the only source then). */
  @Test
  void loadAll_stateWrittenWithFsGroup_readsItAsTheVolumesGroup() throws Exception {
    StateStore store = new StateStore(dir);
    Files.writeString(dir.resolve("legacy.json"), "{\"volumeId\":\"csi-1\",\"backend\":\"vault\","
        + "\"fsGroup\":2000,\"contentHash\":\"hash\",\"failures\":0}");

    assertThat(store.loadAll()).singleElement().extracting(VolumeState::group).isEqualTo(2000);
  }

  @Test
  void save_group_isWrittenAsGroupAndReadBack() throws Exception {
    StateStore store = new StateStore(dir);
    VolumeState base = state("csi-1");
    VolumeState grouped = new VolumeState(base.volumeId(), base.target(), base.backend(),
        base.podNamespace(), base.podName(), base.podUid(), base.attributesHash(),
        base.tokenExpiries(), 2000, base.contentHash(), base.dataDir(), base.version(),
        base.fetchedAt(), base.refreshAt(), base.expiresAt(), 0, null, null);
    store.save(grouped);

    assertThat(Files.readString(store.fileOf("csi-1"))).contains("\"group\":2000")
        .doesNotContain("fsGroup");
    assertThat(store.loadAll()).containsExactly(grouped);
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
