package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import dev.passport.api.MaterialFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a volume's files with the semantics of kubelet's AtomicWriter
 * ({@code pkg/volume/util/atomic_writer.go}), so a reader sees either the old or the new set of
 * files, never a mix:
 *
 * <pre>
 * target/
 *   ..2026_11_26_14_08_00.8203412   the content, in a fresh timestamped directory per write
 *   ..data -> ..2026_11_26_14_08_00.8203412   swapped with rename(2), which is atomic
 *   tls.crt -> ..data/tls.crt       user-visible names: one link per top-level name
 *   db -> ..data/db
 * </pre>
 *
 * <p>Not thread-safe for one target: the host serialises calls per volume.
 */
public final class AtomicWriter {
  private static final Logger log = LoggerFactory.getLogger(AtomicWriter.class);

  static final String DATA_LINK = "..data";
  static final String DATA_TMP_LINK = "..data_tmp";

  /** Test hook: called after each step; throwing simulates a failure (or crash) right there. */
  interface Step {
    void reached(String name) throws IOException;
  }

  /** The steps before the swap, in order; a failure at any of them must leave the old content. */
  static final List<String> STEPS_BEFORE_SWAP =
      List.of("data-dir-created", "files-written", "ownership-set", "synced", "tmp-link-created");

  /** The steps after {@code ..data} points at the new content. */
  static final List<String> STEPS_AFTER_SWAP = List.of("swapped", "links-created");

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy_MM_dd_HH_mm_ss").withZone(ZoneOffset.UTC);

  /** With an fsGroup the group reads and traverses; nobody may add or remove entries. */
  private static final int GROUP_DIR_MODE = 0550;
  /** Owner keeps write so the (non-root) writer can swap entries; others stay out. */
  private static final int GROUP_TARGET_MODE = 0750;
  /** Without an fsGroup the files' own modes decide who reads, so directories do not restrict. */
  private static final int PLAIN_DIR_MODE = 0555;

  /** In mode-bit order: owner rwx, group rwx, others rwx (0400 down to 0001). */
  private static final PosixFilePermission[] PERMISSIONS = PosixFilePermission.values();

  private final Path target;
  private final Clock clock;
  private final Step step;

  /** A writer for the volume whose root is {@code target} (which must exist when writing). */
  public AtomicWriter(Path target) {
    this(target, Clock.systemUTC(), name -> {});
  }

  AtomicWriter(Path target, Clock clock, Step step) {
    this.target = requireNonNull(target, "target is null").toAbsolutePath().normalize();
    this.clock = requireNonNull(clock, "clock is null");
    this.step = requireNonNull(step, "step is null");
  }

  /**
   * Makes the volume hold exactly {@code files}. When it already does (same {@link ContentHash}
   * and, with an fsGroup, the same group), no file is touched and {@code written} is false.
   *
   * <p>With {@code fsGroup}, directories and files get that group; files keep their
   * {@link MaterialFile#mode()}, data directories are 0550 and the target 0750. A failure before
   * the swap leaves the previous content in place and readable.
   *
   * @throws IllegalArgumentException when a path breaks the rules of {@link MaterialLimits}
   * @throws IOException when the target is not a directory or writing fails
   */
  public WriteResult write(List<MaterialFile> files, OptionalInt fsGroup) throws IOException {
    requireNonNull(files, "files is null");
    requireNonNull(fsGroup, "fsGroup is null");
    Optional<String> problem = MaterialLimits.structureProblem(files);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(problem.get());
    }
    requireTargetDirectory();
    Set<String> names = topLevelNames(files);
    for (String name : names) {
      requireNothingInTheWay(name);
    }
    String hash = ContentHash.of(files);

    Optional<String> current = currentDataDirName();
    if (current.isPresent() && hashOf(current.get()).filter(hash::equals).isPresent()
        && groupMatches(current.get(), fsGroup)) {
      // Unchanged; still repair what a crash right after an earlier swap may have left undone.
      finishAfterSwap(current.get(), names);
      return new WriteResult(false, current.get(), hash);
    }

    String dataDir = writeAndSwap(files, fsGroup);
    log.debug("swapped {} to {} ({} files)", target, dataDir, files.size());
    step.reached("swapped");
    finishAfterSwap(dataDir, names);
    return new WriteResult(true, dataDir, hash);
  }

  /**
   * Whether the volume has been written ({@code ..data} exists): a republish of such a volume
   * must keep its content when a refresh fails. Cheap: one lstat.
   */
  public boolean hasContent() {
    return Files.isSymbolicLink(target.resolve(DATA_LINK));
  }

  /** The {@link ContentHash} of the files under {@code ..data}; empty if nothing was written. */
  public Optional<String> currentContentHash() throws IOException {
    Optional<String> current = currentDataDirName();
    return current.isEmpty() ? Optional.empty() : hashOf(current.get());
  }

  /**
   * Whether {@code ..data} points at {@code dataDirName} and the files there hash to
   * {@code contentHash}: false after any tampering, so the next write repairs the volume.
   */
  public boolean holds(String dataDirName, String contentHash) throws IOException {
    requireNonNull(dataDirName, "dataDirName is null");
    requireNonNull(contentHash, "contentHash is null");
    Optional<String> current = currentDataDirName();
    return current.isPresent() && current.get().equals(dataDirName)
        && hashOf(dataDirName).filter(contentHash::equals).isPresent();
  }

  /**
   * A cheap identity of what {@code ..data} points at now, read from metadata alone: the data
   * directory's name and, per entry, its path, inode, size and modification time. It changes when
   * a file is replaced, rewritten, resized, added or removed, so a warm republish
   * can compare it with the one taken when the content hash was last proven, instead of reading
   * and hashing every file. Empty if nothing was written.
   */
  public Optional<String> fingerprint() throws IOException {
    Optional<String> current = currentDataDirName();
    if (current.isEmpty()) {
      return Optional.empty();
    }
    // Runs on every warm republish: numbers only, no strings per file. The sum of mixed entries
    // does not depend on the order the directory lists them in.
    long[] sum = {0};
    Files.walkFileTree(target.resolve(current.get()), new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        long entry = mix(file.getFileName().hashCode());
        entry = mix(entry ^ Objects.hashCode(attrs.fileKey()));
        entry = mix(entry ^ attrs.size());
        entry = mix(entry ^ attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        entry = mix(entry ^ (attrs.isRegularFile() ? 1 : 2));
        sum[0] += entry;
        return FileVisitResult.CONTINUE;
      }
    });
    return Optional.of(current.get() + ":" + Long.toHexString(sum[0]));
  }

  /** splitmix64's finalizer: spreads every input bit over the result. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * The files under {@code ..data} (relative paths, bytes, modes), sorted by path; empty if nothing
   * was written or the content holds entries the writer never creates.
   */
  public Optional<List<MaterialFile>> read() throws IOException {
    Optional<String> current = currentDataDirName();
    return current.isEmpty() ? Optional.empty() : readDataDir(current.get());
  }

  /** Names the target only; content is secret. */
  @Override
  public String toString() {
    return "AtomicWriter[" + target + "]";
  }

  private String writeAndSwap(List<MaterialFile> files, OptionalInt fsGroup) throws IOException {
    // createTempDirectory makes the directory 0700 with a unique random suffix: while files are
    // written with default modes, nobody else can reach them.
    Path dataDir = Files.createTempDirectory(target, ".." + TIMESTAMP.format(clock.instant()) + ".");
    String dataDirName = dataDir.getFileName().toString();
    Path tmpLink = target.resolve(DATA_TMP_LINK);
    try {
      step.reached("data-dir-created");
      List<Path> directories = new ArrayList<>(List.of(dataDir));
      List<Path> written = new ArrayList<>(files.size());
      for (MaterialFile file : files) {
        Path path = resolveInside(dataDir, file.path());
        createParents(dataDir, path.getParent(), directories);
        writeFile(path, file);
        written.add(path);
      }
      step.reached("files-written");

      int dirMode = fsGroup.isPresent() ? GROUP_DIR_MODE : PLAIN_DIR_MODE;
      for (int i = 0; i < files.size(); i++) {
        setGroupAndMode(written.get(i), fsGroup, files.get(i).mode());
      }
      for (Path directory : directories) {
        setGroupAndMode(directory, fsGroup, dirMode);
      }
      if (fsGroup.isPresent()) {
        setGroupAndMode(target, fsGroup, GROUP_TARGET_MODE);
      }
      step.reached("ownership-set");

      // Files were synced as they were written; now the entries that name them, deepest first.
      directories.sort(Comparator.comparingInt(Path::getNameCount).reversed());
      for (Path directory : directories) {
        syncDirectory(directory);
      }
      syncDirectory(target);
      step.reached("synced");

      Files.deleteIfExists(tmpLink);
      Files.createSymbolicLink(tmpLink, Path.of(dataDirName));
      step.reached("tmp-link-created");

      Files.move(tmpLink, target.resolve(DATA_LINK), StandardCopyOption.ATOMIC_MOVE);
      syncDirectory(target);
      return dataDirName;
    } catch (IOException | RuntimeException | Error e) {
      discardUnswapped(dataDir, tmpLink, e);
      throw e;
    }
  }

  /** Undoes a write that failed before the swap; the old content was never touched. */
  private void discardUnswapped(Path dataDir, Path tmpLink, Throwable failure) {
    try {
      if (Files.isSymbolicLink(tmpLink)
          && Files.readSymbolicLink(tmpLink).equals(dataDir.getFileName())) {
        Files.delete(tmpLink);
      }
      if (!currentDataDirName().filter(dataDir.getFileName().toString()::equals).isPresent()) {
        FileTrees.deleteRecursively(dataDir);
      }
    } catch (IOException | RuntimeException cleanup) {
      failure.addSuppressed(cleanup);
    }
  }

  /** Links every current top-level name through ..data, unlinks old names, removes debris. */
  private void finishAfterSwap(String dataDirName, Set<String> names) throws IOException {
    for (String name : names) {
      Path link = target.resolve(name);
      Path value = Path.of(DATA_LINK, name);
      requireNothingInTheWay(name);
      if (Files.isSymbolicLink(link)) {
        if (Files.readSymbolicLink(link).equals(value)) {
          continue;
        }
        Files.delete(link);
      }
      Files.createSymbolicLink(link, value);
    }
    step.reached("links-created");

    try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.startsWith("..")) {
          removeIfDebris(entry, name, dataDirName);
        } else if (!names.contains(name) && Files.isSymbolicLink(entry)
            && Files.readSymbolicLink(entry).startsWith(DATA_LINK)) {
          Files.delete(entry);
        }
      }
    }
  }

  /**
   * The previous data directory and leftovers of a crashed write (a timestamped directory that
   * ..data never pointed to, a ..data_tmp link). Only called once ..data points at the new content.
   */
  private void removeIfDebris(Path entry, String name, String dataDirName) throws IOException {
    if (name.equals(DATA_LINK) || name.equals(dataDirName)) {
      return;
    }
    if (name.equals(DATA_TMP_LINK) && Files.isSymbolicLink(entry)) {
      Files.delete(entry);
    } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
      FileTrees.deleteRecursively(entry);
    }
  }

  /** The directory ..data names, if ..data is a link to a timestamped directory of this target. */
  private Optional<String> currentDataDirName() throws IOException {
    Path link = target.resolve(DATA_LINK);
    if (!Files.isSymbolicLink(link)) {
      return Optional.empty();
    }
    Path value = Files.readSymbolicLink(link);
    String name = value.toString();
    if (value.isAbsolute() || value.getNameCount() != 1 || !name.startsWith("..")
        || name.equals("..") || name.equals(DATA_LINK) || name.equals(DATA_TMP_LINK)
        || !Files.isDirectory(target.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
      log.warn("{}/{} points to {}, not to a data directory of this volume; ignoring it",
          target, DATA_LINK, value);
      return Optional.empty();
    }
    return Optional.of(name);
  }

  private Optional<String> hashOf(String dataDirName) throws IOException {
    return readDataDir(dataDirName).map(ContentHash::of);
  }

  private Optional<List<MaterialFile>> readDataDir(String dataDirName) throws IOException {
    Path dataDir = target.resolve(dataDirName);
    List<MaterialFile> files = new ArrayList<>();
    List<Path> strangers = new ArrayList<>();
    Files.walkFileTree(dataDir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (!attrs.isRegularFile()) {
          // The writer only creates directories and regular files: a link or device here was put
          // by someone else and must not be read through.
          strangers.add(file);
          return FileVisitResult.CONTINUE;
        }
        String path = dataDir.relativize(file).toString().replace(file.getFileSystem()
            .getSeparator(), "/");
        int mode = modeOf(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
        files.add(MaterialFile.of(path, Files.readAllBytes(file), mode));
        return FileVisitResult.CONTINUE;
      }
    });
    if (!strangers.isEmpty()) {
      log.warn("{} holds entries the writer never creates, e.g. {}; treating the content as unknown",
          dataDir, strangers.get(0));
      return Optional.empty();
    }
    files.sort(Comparator.comparing(MaterialFile::path));
    return Optional.of(files);
  }

  private boolean groupMatches(String dataDirName, OptionalInt fsGroup) throws IOException {
    if (fsGroup.isEmpty()) {
      return true;
    }
    return gidOf(target) == fsGroup.getAsInt()
        && gidOf(target.resolve(dataDirName)) == fsGroup.getAsInt();
  }

  private void requireTargetDirectory() throws IOException {
    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("volume target " + target
          + " is not a directory (missing, or a symbolic link); mount it before writing");
    }
  }

  /** A user-visible name must be free or a link: anything else is not ours to replace. */
  private void requireNothingInTheWay(String name) throws IOException {
    Path entry = target.resolve(name);
    if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(entry)) {
      throw new IOException("cannot publish " + MaterialLimits.quote(name) + " in " + target
          + ": a file or directory of that name is in the way and was not created by Passport;"
          + " remove it");
    }
  }

  private static Set<String> topLevelNames(List<MaterialFile> files) {
    Set<String> names = new LinkedHashSet<>();
    for (MaterialFile file : files) {
      int slash = file.path().indexOf('/');
      names.add(slash < 0 ? file.path() : file.path().substring(0, slash));
    }
    return names;
  }

  /** Belt and braces after {@link MaterialLimits}: the resolved path must stay in the data dir. */
  private static Path resolveInside(Path dataDir, String relative) throws IOException {
    Path path = dataDir.resolve(relative).normalize();
    if (!path.startsWith(dataDir) || path.equals(dataDir)) {
      throw new IOException("refusing to write " + MaterialLimits.quote(relative)
          + ": it resolves outside the volume's data directory");
    }
    return path;
  }

  private static void createParents(Path dataDir, Path parent, List<Path> created)
      throws IOException {
    Path current = dataDir;
    for (Path segment : dataDir.relativize(parent)) {
      if (segment.toString().isEmpty()) {
        continue;
      }
      current = current.resolve(segment);
      if (Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      Files.createDirectory(current);
      created.add(current);
    }
  }

  private static void writeFile(Path path, MaterialFile file) throws IOException {
    // CREATE_NEW + NOFOLLOW_LINKS: never write through something that appeared in our fresh dir.
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer buffer = ByteBuffer.wrap(file.content());
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
  }

  private static void setGroupAndMode(Path path, OptionalInt group, int mode) throws IOException {
    if (group.isPresent()) {
      // Numeric: the fsGroup rarely has a name in the driver's /etc/group.
      Files.setAttribute(path, "unix:gid", group.getAsInt(), LinkOption.NOFOLLOW_LINKS);
    }
    Files.setPosixFilePermissions(path, permissionsOf(mode));
  }

  private static void syncDirectory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static int gidOf(Path path) throws IOException {
    return (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
  }

  static Set<PosixFilePermission> permissionsOf(int mode) {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < PERMISSIONS.length; i++) {
      if ((mode & (0400 >> i)) != 0) {
        permissions.add(PERMISSIONS[i]);
      }
    }
    return permissions;
  }

  static int modeOf(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission permission : permissions) {
      mode |= 0400 >> permission.ordinal();
    }
    return mode;
  }
}
