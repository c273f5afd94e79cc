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

  /**
   * The bytes of a state file as the Jackson 2 store (before issue 21) wrote it: component order,
   * nulls left out, instants as ISO-8601 strings. A driver upgraded in place reads its node's state
   * files, and a rollback reads what the new one wrote, so the format does not move.
   */
  private static final String JACKSON2_STATE = "{\"volumeId\":\"csi-7\",\"target\":\"/pods/x/mount\","
      + "\"backend\":\"vault\",\"podNamespace\":\"ns\",\"podName\":\"pod\",\"podUid\":\"uid\","
      + "\"attributesHash\":\"attrs\",\"tokenExpiries\":\"vault=2026-11-26T10:00:00Z\","
      + "\"group\":2000,\"contentHash\":\"hash\",\"dataDir\":\"..2026_11_26\",\"version\":\"v1\","
      + "\"fetchedAt\":\"2026-11-26T10:00:00.123456789Z\",\"refreshAt\":\"2026-11-26T10:05:00Z\","
      + "\"expiresAt\":\"2026-11-26T11:00:00.500Z\",\"failures\":3,"
      + "\"nextAttemptAt\":\"2026-11-26T10:01:00Z\",\"lastError\":\"vault: permission \\\"denied\\\"\"}";

  private static VolumeState everyFieldSet() {
    Instant now = Instant.parse("2026-11-26T10:00:00Z");
    return new VolumeState("csi-7", "/pods/x/mount", "vault", "ns", "pod", "uid", "attrs",
        "vault=" + now, 2000, "hash", "..2026_11_26", "v1", now.plusNanos(123456789),
        now.plusSeconds(300), Instant.parse("2026-11-26T11:00:00.5Z"), 3, now.plusSeconds(60),
        "vault: permission \"denied\"");
  }

  @Test
  void save_writesTheFormatTheJackson2StoreWrote_byteForByte() throws Exception {
    StateStore store = new StateStore(dir);
    store.save(everyFieldSet());

    assertThat(Files.readString(store.fileOf("csi-7"))).isEqualTo(JACKSON2_STATE);
  }

  @Test
  void loadAll_readsAStateFileTheJackson2StoreWrote() throws Exception {
    StateStore store = new StateStore(dir);
    Files.writeString(store.fileOf("csi-7"), JACKSON2_STATE);
    // an unknown field (a newer release's) and a trailing newline (an operator's editor) are read past
    Files.writeString(dir.resolve("other.json"), "{\"volumeId\":\"csi-8\",\"backend\":\"http\","
        + "\"failures\":0,\"addedLater\":{\"x\":[1]}}\n");

    assertThat(store.loadAll()).containsExactlyInAnyOrder(everyFieldSet(),
        new VolumeState("csi-8", null, "http", null, null, null, null, null, null, null, null, null,
            null, null, null, 0, null, null));
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
