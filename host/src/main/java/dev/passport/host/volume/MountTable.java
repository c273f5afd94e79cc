package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The mounts of this process's mount namespace, from {@code /proc/self/mountinfo}. */
final class MountTable {

  /** One line of mountinfo: where, what file system type, and its super-block options. */
  record Entry(Path mountPoint, String fsType, String superOptions) {}

  private final Path mountInfo;

  MountTable(Path mountInfo) {
    this.mountInfo = requireNonNull(mountInfo, "mountInfo is null");
  }

  static MountTable self() {
    return new MountTable(Path.of("/proc/self/mountinfo"));
  }

  /** The topmost mount at {@code target} (mounts stack; the kernel lists the newest last). */
  Optional<Entry> find(Path target) throws IOException {
    Optional<Path> canonical = canonical(target);
    if (canonical.isEmpty()) {
      return Optional.empty();
    }
    Entry found = null;
    for (Entry entry : entries()) {
      if (entry.mountPoint().equals(canonical.get())) {
        found = entry;
      }
    }
    return Optional.ofNullable(found);
  }

  /** How many mounts are stacked at {@code target}. */
  int count(Path target) throws IOException {
    Optional<Path> canonical = canonical(target);
    if (canonical.isEmpty()) {
      return 0;
    }
    return (int) entries().stream().filter(e -> e.mountPoint().equals(canonical.get())).count();
  }

  List<Entry> entries() throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (String line : Files.readAllLines(mountInfo, StandardCharsets.UTF_8)) {
      parse(line).ifPresent(entries::add);
    }
    return entries;
  }

  /**
   * Fields: id parent major:minor root mount-point options [optional fields...] - type source
   * super-options. Paths escape space, tab, newline and backslash as octal ({@code \040}).
   */
  static Optional<Entry> parse(String line) {
    String[] fields = line.split(" ");
    int separator = -1;
    for (int i = 6; i < fields.length; i++) {
      if (fields[i].equals("-")) {
        separator = i;
        break;
      }
    }
    if (fields.length < 5 || separator < 0 || separator + 1 >= fields.length) {
      return Optional.empty();
    }
    String superOptions = separator + 3 < fields.length ? fields[separator + 3] : "";
    return Optional.of(new Entry(Path.of(unescape(fields[4])), fields[separator + 1], superOptions));
  }

  static String unescape(String field) {
    if (field.indexOf('\\') < 0) {
      return field;
    }
    // The escapes stand for single bytes of a (usually UTF-8) name: decode bytes, then the name.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(field.length());
    byte[] raw = field.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '\\' && i + 3 < raw.length && isOctal(raw[i + 1]) && isOctal(raw[i + 2])
          && isOctal(raw[i + 3])) {
        bytes.write(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0'));
        i += 3;
      } else {
        bytes.write(raw[i]);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static boolean isOctal(byte b) {
    return b >= '0' && b <= '7';
  }

  /**
   * mountinfo shows resolved paths: resolve the parent's symbolic links (e.g. a /var/lib/kubelet
   * that is a link) but not the target's own name, which must itself be the mount point.
   */
  private static Optional<Path> canonical(Path target) throws IOException {
    Path absolute = target.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    if (parent == null) {
      return Optional.of(absolute);
    }
    if (!Files.exists(parent)) {
      return Optional.empty();
    }
    return Optional.of(parent.toRealPath().resolve(absolute.getFileName()));
  }
}
