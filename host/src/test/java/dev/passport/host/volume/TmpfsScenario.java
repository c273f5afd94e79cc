package dev.passport.host.volume;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.passport.api.MaterialFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * Runs the real tmpfs life cycle; {@link TmpfsMounterTest} starts it inside {@code unshare -m} so
 * that its mounts live and die with a private mount namespace. Prints {@code RESULT key=value}
 * lines which the test compares with {@link #EXPECTED}.
 */
final class TmpfsScenario {
  static final String PREFIX = "RESULT ";
  private static final long SIZE = 1 << 20;
  private static final int FS_GROUP = 4242;
  /** Small limits so the scenario stays quick; the rounding is the same as at the defaults. */
  static final MaterialLimits LIMITS = new MaterialLimits(16, 64 * 1024, 16 * (4096 + 1));

  static final Map<String, String> EXPECTED = expected();

  private TmpfsScenario() {}

  public static void main(String[] args) throws IOException {
    Path root = Path.of(args[0]);
    Mounter tmpfs = Mounter.forMode(MountMode.TMPFS);
    MountTable mounts = MountTable.self();
    Path target = root.resolve("vol");

    tmpfs.mount(target, SIZE);
    tmpfs.mount(target, SIZE);
    print("mounted", tmpfs.isMounted(target));
    print("mountsStacked", mounts.count(target));
    MountTable.Entry entry = mounts.find(target).orElseThrow();
    print("fsType", entry.fsType());
    print("totalBytes", Files.getFileStore(target).getTotalSpace());

    AtomicWriter writer = new AtomicWriter(target);
    writer.write(List.of(MaterialFile.of("tls.crt", "cert".getBytes(UTF_8))), OptionalInt.of(FS_GROUP));
    print("read", Files.readString(target.resolve("tls.crt")));
    print("targetGid", Files.getAttribute(target, "unix:gid"));
    print("targetMode", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));

    // Larger than the tmpfs: the write fails part-way (ENOSPC) and the old content must survive.
    try {
      writer.write(List.of(MaterialFile.of("tls.crt", new byte[(int) (2 * SIZE)])), OptionalInt.of(FS_GROUP));
      print("oversizedWrite", "accepted");
    } catch (IOException e) {
      print("oversizedWrite", "refused");
    }
    print("readAfterOversized", Files.readString(target.resolve("tls.crt")));
    try (Stream<Path> entries = Files.list(target)) {
      print("dataDirsAfterOversized",
          entries.filter(p -> p.getFileName().toString().startsWith("..20")).count());
    }

    tmpfs.unmountAndRemove(target);
    print("mountedAfterRemove", tmpfs.isMounted(target));
    print("existsAfterRemove", Files.exists(target, LinkOption.NOFOLLOW_LINKS));
    tmpfs.unmountAndRemove(target);
    print("secondRemove", "ok");

    // A file system mounted inside a directory-mode volume is never wiped by its removal.
    Mounter directory = Mounter.forMode(MountMode.DIRECTORY);
    Path plain = root.resolve("plain");
    directory.mount(plain, SIZE);
    Path inner = plain.resolve("inner");
    tmpfs.mount(inner, SIZE);
    Files.writeString(inner.resolve("precious"), "keep");
    directory.unmountAndRemove(plain);
    print("nestedMountKept", tmpfs.isMounted(inner) && Files.isDirectory(plain));
    print("nestedContent", Files.readString(inner.resolve("precious")));
    tmpfs.unmountAndRemove(inner);
    directory.unmountAndRemove(plain);
    print("plainExists", Files.exists(plain));

    rotateAtTheLimit(root.resolve("full"), tmpfs);
    keepWhatWasUnderTheMount(root.resolve("preexisting"), tmpfs);
  }

  /**
   * Issue 14: a volume at the material limits, sized by {@link MaterialLimits#replaceableBytes()},
   * rotates again and again (old and new copies side by side until the swap); every file is shaped
   * for the worst page rounding and the names for the longest links.
   */
  private static void rotateAtTheLimit(Path target, Mounter tmpfs) throws IOException {
    tmpfs.mount(target, LIMITS.replaceableBytes());
    AtomicWriter writer = new AtomicWriter(target, LIMITS.maxTotalBytes());
    int rotations = 0;
    for (int generation = 0; generation < 4; generation++) {
      writer.write(atTheLimit(generation), OptionalInt.of(FS_GROUP));
      rotations++;
    }
    print("rotationsAtLimit", rotations);
    print("contentAtLimit", writer.read().map(ContentHash::of).orElse("none")
        .equals(ContentHash.of(atTheLimit(3))));
    // Evidence that the sizing matters: the same volume in a tmpfs of twice the limit cannot rotate.
    tmpfs.unmountAndRemove(target);
    tmpfs.mount(target, 2 * LIMITS.maxTotalBytes());
    try {
      writer.write(atTheLimit(0), OptionalInt.empty());
      writer.write(atTheLimit(1), OptionalInt.empty());
      print("rotationInTwiceTheLimit", "fits");
    } catch (IOException e) {
      print("rotationInTwiceTheLimit", "ENOSPC");
    }
    tmpfs.unmountAndRemove(target);
  }

  /** maxFiles files of maxTotalBytes in total, each one byte past a page, with 200-byte names. */
  static List<MaterialFile> atTheLimit(int generation) {
    List<MaterialFile> files = new java.util.ArrayList<>();
    long perFile = LIMITS.maxTotalBytes() / LIMITS.maxFiles();
    for (int i = 0; i < LIMITS.maxFiles(); i++) {
      byte[] content = new byte[(int) perFile];
      java.util.Arrays.fill(content, (byte) ('a' + generation));
      String name = String.format("%03d-", i) + "n".repeat(196);
      files.add(MaterialFile.of(name, content, 0440));
    }
    return files;
  }

  /** Unpublish of a tmpfs target over a directory that held files: they are there afterwards. */
  private static void keepWhatWasUnderTheMount(Path target, Mounter tmpfs) throws IOException {
    Files.createDirectories(target);
    Files.writeString(target.resolve("was-here"), "before");
    tmpfs.mount(target, SIZE);
    new AtomicWriter(target).write(List.of(MaterialFile.of("tls.crt", "cert".getBytes(UTF_8))), OptionalInt.empty());
    tmpfs.unmountAndRemove(target);
    print("preexistingKept", Files.readString(target.resolve("was-here")));
    try (Stream<Path> entries = Files.list(target)) {
      print("preexistingEntries", entries.count());
    }
  }

  private static Map<String, String> expected() {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("mounted", "true");
    expected.put("mountsStacked", "1");
    expected.put("fsType", "tmpfs");
    expected.put("totalBytes", String.valueOf(SIZE));
    expected.put("read", "cert");
    expected.put("targetGid", String.valueOf(FS_GROUP));
    // A 0644 file: the tmpfs root lets every user of the pod reach it (issue 15).
    expected.put("targetMode", "rwxr-xr-x");
    expected.put("oversizedWrite", "refused");
    expected.put("readAfterOversized", "cert");
    expected.put("dataDirsAfterOversized", "1");
    expected.put("mountedAfterRemove", "false");
    expected.put("existsAfterRemove", "false");
    expected.put("secondRemove", "ok");
    expected.put("nestedMountKept", "true");
    expected.put("nestedContent", "keep");
    expected.put("plainExists", "false");
    expected.put("rotationsAtLimit", "4");
    expected.put("contentAtLimit", "true");
    expected.put("rotationInTwiceTheLimit", "ENOSPC");
    expected.put("preexistingKept", "before");
    expected.put("preexistingEntries", "1");
    return expected;
  }

  private static void print(String key, Object value) {
    System.out.println(PREFIX + key + "=" + value);
  }
}
