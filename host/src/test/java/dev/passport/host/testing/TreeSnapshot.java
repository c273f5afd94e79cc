package dev.passport.host.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything under a directory that a misdirected writer could change — existence, type, mode,
 * owner, content, link values — taken without following links. Tests take one of the "node"
 * outside a volume before an attack and compare it after: equal means nothing there was touched.
 */
public record TreeSnapshot(Map<String, String> entries) {

  public static TreeSnapshot of(Path root) {
    Map<String, String> entries = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      paths.forEach(path -> entries.put(root.relativize(path).toString(), describe(path)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new TreeSnapshot(entries);
  }

  private static String describe(Path path) {
    try {
      PosixFileAttributes attributes =
          Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      String owner = PosixFilePermissions.toString(attributes.permissions()) + " "
          + attributes.owner().getName() + ":" + attributes.group().getName();
      if (attributes.isSymbolicLink()) {
        return "link -> " + Files.readSymbolicLink(path) + " " + owner;
      }
      if (attributes.isDirectory()) {
        return "dir " + owner;
      }
      if (attributes.isRegularFile()) {
        return "file " + owner + " " + sha256(Files.readAllBytes(path));
      }
      return "other " + owner;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
