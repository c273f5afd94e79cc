package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import dev.passport.api.MaterialFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The SHA-256 (lower-case hex) of a set of files: over the files sorted by path, each contributes
 * its path, mode, length and bytes. The same files in any order give the same hash. Files on disk
 * are hashed as they are read ({@link Digest}), so proving a volume never holds it in memory.
 */
public final class ContentHash {
  private ContentHash() {}

  /** The hash of {@code files}. */
  public static String of(List<MaterialFile> files) {
    requireNonNull(files, "files is null");
    List<MaterialFile> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(MaterialFile::path));
    Digest digest = new Digest();
    for (MaterialFile file : sorted) {
      digest.file(file.path(), file.mode(), file.size());
      // The read-only view: the digest reads it in small chunks, the content is never copied whole.
      digest.content(file.contentBuffer());
    }
    return digest.hex();
  }

  /**
   * The same hash, fed file by file in path order: {@link #file} then that file's content, in
   * any number of pieces.
   */
  static final class Digest {
    private final MessageDigest digest = sha256();
    private final ByteBuffer field = ByteBuffer.allocate(Integer.BYTES + Long.BYTES);

    void file(String path, int mode, long size) {
      // Every variable-length field is length-prefixed so that no two different sets of files
      // produce the same byte stream (e.g. path "ab"+content "c" vs path "a"+content "bc").
      byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
      field.clear();
      digest.update(field.putInt(bytes.length).array(), 0, Integer.BYTES);
      digest.update(bytes);
      field.clear();
      digest.update(field.putInt(mode).putLong(size).array());
    }

    void content(ByteBuffer bytes) {
      digest.update(bytes);
    }

    void content(byte[] bytes, int offset, int length) {
      digest.update(bytes, offset, length);
    }

    String hex() {
      return HexFormat.of().formatHex(digest.digest());
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
  }
}
