package dev.passport.host.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * One small JSON file per volume in {@code --state-dir}, written atomically (temp file, rename)
 * with mode 0600. File names are a hash of the volume id, so no volume id can name a path.
 *
 * <p>No fsync: state only saves fetches. A process crash keeps the page cache, and the rename is
 * atomic; after a power loss a missing or unreadable file is skipped and that volume is fetched
 * again on its next republish. An fsync per publish would cost more than the whole publish.
 */
public final class StateStore {

  private static final Logger LOG = LoggerFactory.getLogger(StateStore.class);
  private static final String SUFFIX = ".json";

  private final Path dir;
  /**
   * Jackson 3 with Jackson 2's defaults where Jackson 3 changed them (FAIL_ON_TRAILING_TOKENS,
   * FAIL_ON_NULL_FOR_PRIMITIVES, alphabetical property order...), so that files written by the
   * Jackson 2 store read as they did; instants as ISO-8601 strings, as the jsr310 module wrote them
   * (java.time support is built into Jackson 3). StateStoreTest pins the bytes.
   */
  private static final ObjectMapper JSON = JsonMapper.builderWithJackson2Defaults()
      .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
      .build();

  public StateStore(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
  }

  public Path directory() {
    return dir;
  }

  /** Every readable state; unreadable files are logged and skipped (they are re-created on the next publish). */
  public List<VolumeState> loadAll() throws IOException {
    // A crash inside save() leaves its temp file; nothing else would ever remove it.
    try (DirectoryStream<Path> debris = Files.newDirectoryStream(dir, ".*" + SUFFIX + ".tmp")) {
      for (Path file : debris) {
        Files.deleteIfExists(file);
      }
    }
    List<VolumeState> states = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path file : files) {
        try {
          states.add(JSON.readValue(file, VolumeState.class));
        } catch (JacksonException e) {
          LOG.warn("ignoring unreadable volume state {}: {}", file, e.getMessage());
        }
      }
    }
    return states;
  }

  public void save(VolumeState state) {
    Path file = fileOf(state.volumeId());
    Path temp = dir.resolve("." + file.getFileName() + ".tmp");
    try {
      byte[] bytes = JSON.writeValueAsBytes(state);
      Files.deleteIfExists(temp);
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(temp, bytes, StandardOpenOption.WRITE);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write volume state " + file, e);
    }
  }

  public void delete(String volumeId) {
    try {
      Files.deleteIfExists(fileOf(volumeId));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete volume state of " + volumeId, e);
    }
  }

  Path fileOf(String volumeId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(volumeId.getBytes(StandardCharsets.UTF_8));
      return dir.resolve(HexFormat.of().formatHex(digest) + SUFFIX);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
