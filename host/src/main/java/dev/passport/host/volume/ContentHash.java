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
 * its path, mode, length and bytes. The same files in any order give the same hash.
 */
public final class ContentHash {
  private ContentHash() {}

  /** The hash of {@code files}. */
  public static String of(List<MaterialFile> files) {
    requireNonNull(files, "files is null");
    List<MaterialFile> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(MaterialFile::path));
    MessageDigest digest = sha256();
    // Every variable-length field is length-prefixed so that no two different sets of files
    // produce the same byte stream (e.g. path "ab"+content "c" vs path "a"+content "bc").
    ByteBuffer field = ByteBuffer.allocate(Integer.BYTES + Long.BYTES);
    for (MaterialFile file : sorted) {
      byte[] path = file.path().getBytes(StandardCharsets.UTF_8);
      field.clear();
      digest.update(field.putInt(path.length).array(), 0, Integer.BYTES);
      digest.update(path);
      field.clear();
      digest.update(field.putInt(file.mode()).putLong(file.size()).array());
      digest.update(file.content());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
  }
}
