package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.MaterialFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
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
 * <p>The pod owns everything inside the target and may change it between and during writes (issue
 * 14), so the writer never follows a link it did not create: it opens the target once with
 * {@code O_NOFOLLOW|O_DIRECTORY} and does everything else relative to that descriptor and to the
 * descriptors of the directories it creates ({@link Fs}): files are created with
 * {@code O_CREAT|O_EXCL|O_NOFOLLOW}, modes and groups are set on descriptors, reads open with
 * {@code O_NOFOLLOW|O_NONBLOCK} and refuse anything fstat does not call a regular file, and the
 * total read is bounded. Debris removal deletes only names of the writer's own patterns
 * ({@code ..data}, {@code ..data_tmp}, {@code ..<timestamp>.<digits>} directories and
 * {@code name -> ..data/name} links), and descends only through directories opened without
 * following links on the target's own file system.
 *
 * <p>Not thread-safe for one target: the host serialises calls per volume.
 */
public final class AtomicWriter {
  private static final Logger log = LoggerFactory.getLogger(AtomicWriter.class);

  static final String DATA_LINK = "..data";
  static final String DATA_TMP_LINK = "..data_tmp";
  /** The writer's own data directories: {@code ..yyyy_MM_dd_HH_mm_ss.<digits>}, nothing else. */
  static final Pattern DATA_DIR = Pattern.compile("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d{1,20}");

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

  /** While a data directory is filled, only its owner can reach it. */
  private static final int PRIVATE_DIR_MODE = 0700;
  /** Deeper than any path MaterialLimits allows: a pod-made tree this deep is not walked. */
  private static final int MAX_DEPTH = 64;
  /** A fresh data directory name is random; give up if this many are taken. */
  private static final int NAME_ATTEMPTS = 16;

  private final Path target;
  private final long readLimitBytes;
  private final Clock clock;
  private final Step step;

  /** A writer for the volume whose root is {@code target}, reading back at most the default limit. */
  public AtomicWriter(Path target) {
    this(target, MaterialLimits.defaults().maxTotalBytes());
  }

  /**
   * A writer for the volume whose root is {@code target} (which must exist when writing). Reads of
   * the volume (verification, read-back after a restart) stop at {@code readLimitBytes} in total:
   * more than that was not written by us.
   */
  public AtomicWriter(Path target, long readLimitBytes) {
    this(target, readLimitBytes, Clock.systemUTC(), name -> {});
  }

  AtomicWriter(Path target, Clock clock, Step step) {
    this(target, MaterialLimits.defaults().maxTotalBytes(), clock, step);
  }

  AtomicWriter(Path target, long readLimitBytes, Clock clock, Step step) {
    this.target = requireNonNull(target, "target is null").toAbsolutePath().normalize();
    if (readLimitBytes < 1) {
      throw new IllegalArgumentException("readLimitBytes is " + readLimitBytes + ", must be at least 1");
    }
    this.readLimitBytes = readLimitBytes;
    this.clock = requireNonNull(clock, "clock is null");
    this.step = requireNonNull(step, "step is null");
  }

  /**
   * Makes the volume hold exactly {@code files}. When it already does (same {@link ContentHash},
   * which covers the modes, and the same group), no file is touched and {@code written} is false.
   *
   * <p>Files get their {@link MaterialFile#mode()} (the host resolves unchosen modes to its
   * default before calling, {@link FileModes}); directories get the modes {@link DirectoryModes}
   * derives from the files. With {@code group}, the target, directories and files get that group;
   * without, the writer's own. The target's mode and group are set on every write, changed or
   * not, so whatever made the target (a tmpfs mount option, kubelet, an older Passport) ends up as
   * the files need. A failure before the swap leaves the previous content in place and readable.
   *
   * @throws IllegalArgumentException when a path breaks the rules of {@link MaterialLimits}
   * @throws IOException when the target is not a directory or writing fails
   */
  public WriteResult write(List<MaterialFile> files, OptionalInt group) throws IOException {
    requireNonNull(files, "files is null");
    requireNonNull(group, "group is null");
    Optional<String> problem = MaterialLimits.structureProblem(files);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(problem.get());
    }
    try (Fs.Dir dir = openTarget()) {
      Set<String> names = topLevelNames(files);
      for (String name : names) {
        requireNothingInTheWay(dir, name);
      }
      String hash = ContentHash.of(files);

      Optional<String> current = currentDataDirName(dir);
      if (current.isPresent() && hashOf(dir, current.get()).filter(hash::equals).isPresent()
          && groupMatches(dir, current.get(), group)) {
        // Unchanged; still repair what a crash right after an earlier swap may have left undone.
        ownTarget(dir, files, group);
        finishAfterSwap(dir, current.get(), names);
        return new WriteResult(false, current.get(), hash);
      }

      String dataDir = writeAndSwap(dir, files, group);
      log.debug("swapped {} to {} ({} files)", target, dataDir, files.size());
      step.reached("swapped");
      // After the swap: until then the old content keeps the target it was published with.
      ownTarget(dir, files, group);
      finishAfterSwap(dir, dataDir, names);
      return new WriteResult(true, dataDir, hash);
    }
  }

  /**
   * Whether the volume has been written ({@code ..data} exists): a republish of such a volume
   * must keep its content when a refresh fails. Cheap: one open and one fstatat.
   */
  public boolean hasContent() {
    try {
      Optional<Fs.Dir> opened = openTargetIfPresent();
      if (opened.isEmpty()) {
        return false;
      }
      try (Fs.Dir dir = opened.get()) {
        return dir.statEntry(DATA_LINK).filter(Fs.Stat::isSymbolicLink).isPresent();
      }
    } catch (IOException e) {
      return false;
    }
  }

  /** The {@link ContentHash} of the files under {@code ..data}; empty if nothing was written. */
  public Optional<String> currentContentHash() throws IOException {
    Optional<Fs.Dir> opened = openTargetIfPresent();
    if (opened.isEmpty()) {
      return Optional.empty();
    }
    try (Fs.Dir dir = opened.get()) {
      Optional<String> current = currentDataDirName(dir);
      return current.isEmpty() ? Optional.empty() : hashOf(dir, current.get());
    }
  }

  /**
   * Whether {@code ..data} points at {@code dataDirName} and the files there hash to
   * {@code contentHash}: false after any tampering, so the next write repairs the volume.
   */
  public boolean holds(String dataDirName, String contentHash) throws IOException {
    requireNonNull(dataDirName, "dataDirName is null");
    requireNonNull(contentHash, "contentHash is null");
    Optional<Fs.Dir> opened = openTargetIfPresent();
    if (opened.isEmpty()) {
      return false;
    }
    try (Fs.Dir dir = opened.get()) {
      Optional<String> current = currentDataDirName(dir);
      return current.isPresent() && current.get().equals(dataDirName)
          && hashOf(dir, dataDirName).filter(contentHash::equals).isPresent()
          && userLinksIntact(dir, dataDirName);
    }
  }

  /**
   * A cheap identity of what {@code ..data} points at now, read from metadata alone: the data
   * directory's name and, per entry, its name, inode, size, modification time and type. It changes
   * when a file is replaced, rewritten, resized, added or removed, so a warm republish can compare
   * it with the one taken when the content hash was last proven, instead of reading and hashing
   * every file. Empty if nothing was written.
   */
  public Optional<String> fingerprint() throws IOException {
    Optional<Fs.Dir> opened = openTargetIfPresent();
    if (opened.isEmpty()) {
      return Optional.empty();
    }
    try (Fs.Dir dir = opened.get()) {
      Optional<String> current = currentDataDirName(dir);
      if (current.isEmpty()) {
        return Optional.empty();
      }
      long[] sum = {0};
      try (Fs.Dir data = dir.openDirectory(current.get())) {
        if (!userLinksIntact(dir, data)) {
          // A user-visible name removed or replaced: what the pod sees is not what we wrote.
          return Optional.empty();
        }
        fingerprint(data, sum, 0);
      } catch (NotOurs e) {
        return Optional.empty();
      } catch (Fs.ErrnoException e) {
        // Swapped for something else since ..data was read: nothing we wrote is there.
        return Optional.empty();
      }
      return Optional.of(current.get() + ":" + Long.toHexString(sum[0]));
    }
  }

  /** Sums the entries of a tree; the sum does not depend on the order directories list them in. */
  private static void fingerprint(Fs.Dir dir, long[] sum, int depth) throws IOException {
    for (String name : dir.list()) {
      Optional<Fs.Stat> stat = dir.statEntry(name);
      if (stat.isEmpty()) {
        continue;
      }
      Fs.Stat s = stat.get();
      if (s.isDirectory() && depth < MAX_DEPTH) {
        try (Fs.Dir child = dir.openDirectory(name)) {
          fingerprint(child, sum, depth + 1);
        } catch (Fs.ErrnoException e) {
          sum[0] += mix(name.hashCode() ^ 0x5eed);
        }
        continue;
      }
      if (!s.isRegularFile()) {
        // The writer makes only files and directories here: anything else is not ours.
        throw new NotOurs();
      }
      long entry = mix(name.hashCode());
      entry = mix(entry ^ s.ino() ^ (s.dev() << 32));
      entry = mix(entry ^ s.size());
      entry = mix(entry ^ (s.mtimeSeconds() * 1_000_000_000L + s.mtimeNanos()));
      entry = mix(entry ^ (s.isRegularFile() ? 1 : 2));
      sum[0] += entry;
    }
  }

  /** A link, FIFO or device in a data directory: the fingerprint of such a tree means nothing. */
  private static final class NotOurs extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotOurs() {
      super(null, null, false, false);
    }
  }

  /** splitmix64's finalizer: spreads every input bit over the result. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * The files under {@code ..data} (relative paths, bytes, modes), sorted by path; empty if nothing
   * was written, the content holds entries the writer never creates, or it is larger than the
   * read limit.
   */
  public Optional<List<MaterialFile>> read() throws IOException {
    try {
      return read(ByteBudget.unlimited());
    } catch (BackendException e) {
      throw new IllegalStateException("an unlimited budget refused a charge", e);
    }
  }

  /**
   * {@link #read()}, charging each file's size to {@code budget} before it is read into memory
   * (issue 13: content read back is material in flight too).
   *
   * @throws BackendException when {@code budget} refuses a charge; nothing more is read
   */
  public Optional<List<MaterialFile>> read(ByteBudget budget) throws IOException, BackendException {
    requireNonNull(budget, "budget is null");
    Optional<Fs.Dir> opened = openTargetIfPresent();
    if (opened.isEmpty()) {
      return Optional.empty();
    }
    try (Fs.Dir dir = opened.get()) {
      Optional<String> current = currentDataDirName(dir);
      return current.isEmpty() ? Optional.empty() : readDataDir(dir, current.get(), budget);
    }
  }

  /**
   * Removes what this writer wrote at the target (the {@code ..data} and {@code ..data_tmp} links,
   * its timestamped directories, the {@code name -> ..data/name} links), then the target itself if
   * that left it empty. Anything else stays where it is and is logged by name: it was there before
   * Passport or the pod put it there, and neither is ours to delete (issue 14). A missing target
   * is fine; a target that is a link or a file is left alone.
   */
  void removeOwnEntriesAndTarget() throws IOException {
    Optional<Fs.Stat> stat = Fs.lstat(target);
    if (stat.isEmpty()) {
      return;
    }
    if (!stat.get().isDirectory()) {
      log.warn("{} is not a directory (a file or a symbolic link) and Passport never makes one there;"
          + " leaving it in place", target);
      return;
    }
    List<String> kept = new ArrayList<>();
    try (Fs.Dir dir = openTarget()) {
      long device = dir.stat().dev();
      for (String name : dir.list()) {
        Optional<Fs.Stat> entry = dir.statEntry(name);
        if (entry.isEmpty()) {
          continue;
        }
        boolean link = entry.get().isSymbolicLink();
        if (link && (name.equals(DATA_LINK) || name.equals(DATA_TMP_LINK) || isOurUserLink(dir, name))) {
          dir.unlink(name);
        } else if (DATA_DIR.matcher(name).matches() && entry.get().isDirectory()) {
          if (!removeOwnTree(dir, name, device, 0)) {
            kept.add(name);
          }
        } else {
          kept.add(name);
        }
      }
    }
    if (!kept.isEmpty()) {
      log.warn("{} holds {} entr{} Passport did not write (e.g. {}); leaving {} in place",
          target, kept.size(), kept.size() == 1 ? "y" : "ies",
          kept.subList(0, Math.min(5, kept.size())), kept.size() == 1 ? "it and the target" : "them and the target");
      return;
    }
    try {
      Fs.removeDirectory(target);
    } catch (Fs.ErrnoException e) {
      if (e.errno() == Libc.ENOENT) {
        return;
      }
      if (e.errno() == Libc.ENOTEMPTY || e.errno() == Libc.EEXIST) {
        // Something appeared since the listing: it is not ours either.
        log.warn("{} is not empty after removing Passport's entries; leaving it in place", target);
        return;
      }
      throw e;
    }
  }

  /** Names the target only; content is secret. */
  @Override
  public String toString() {
    return "AtomicWriter[" + target + "]";
  }

  private String writeAndSwap(Fs.Dir dir, List<MaterialFile> files, OptionalInt group)
      throws IOException {
    String dataDirName = createDataDir(dir);
    // Relative directory path ("" = the data directory) to the descriptor it was opened as.
    Map<String, Fs.Dir> directories = new LinkedHashMap<>();
    try {
      Fs.Dir data = dir.openDirectory(dataDirName);
      directories.put("", data);
      requireOurs(dir, data);
      step.reached("data-dir-created");
      for (MaterialFile file : files) {
        int slash = file.path().lastIndexOf('/');
        Fs.Dir parent = slash < 0 ? data : directory(directories, file.path().substring(0, slash));
        writeFile(parent, file.path().substring(slash + 1), file, group);
      }
      step.reached("files-written");

      for (Map.Entry<String, Fs.Dir> directory : directories.entrySet()) {
        if (group.isPresent()) {
          directory.getValue().chgrp(group.getAsInt());
        }
        directory.getValue().chmod(DirectoryModes.dataDirectory(directory.getKey(), files));
      }
      step.reached("ownership-set");

      // Files were synced as they were written; now the entries that name them, deepest first.
      List<String> deepestFirst = new ArrayList<>(directories.keySet());
      deepestFirst.sort(Comparator.comparingLong((String p) -> p.chars().filter(c -> c == '/').count()
          + (p.isEmpty() ? 0 : 1)).reversed());
      for (String path : deepestFirst) {
        directories.get(path).sync();
      }
      dir.sync();
      step.reached("synced");

      Optional<Fs.Stat> tmp = dir.statEntry(DATA_TMP_LINK);
      if (tmp.isPresent()) {
        if (!tmp.get().isSymbolicLink()) {
          throw new IOException("cannot swap " + target + "/" + DATA_TMP_LINK
              + ": something that is not a link Passport made is in the way; remove it");
        }
        dir.unlink(DATA_TMP_LINK);
      }
      dir.symlink(dataDirName, DATA_TMP_LINK);
      step.reached("tmp-link-created");

      dir.rename(DATA_TMP_LINK, DATA_LINK);
      dir.sync();
      return dataDirName;
    } catch (IOException | RuntimeException | Error e) {
      discardUnswapped(dir, dataDirName, e);
      throw e;
    } finally {
      directories.values().forEach(Fs.Dir::close);
    }
  }

  /** mkdirat of a fresh, unguessable {@code ..<timestamp>.<digits>} name, 0700. */
  private String createDataDir(Fs.Dir dir) throws IOException {
    String prefix = ".." + TIMESTAMP.format(clock.instant()) + ".";
    for (int attempt = 1; ; attempt++) {
      String name = prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong());
      try {
        dir.makeDirectory(name, PRIVATE_DIR_MODE);
        return name;
      } catch (Fs.ErrnoException e) {
        if (e.errno() != Libc.EEXIST || attempt == NAME_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** The open directory for a relative path in the data directory, made with mkdirat as needed. */
  private static Fs.Dir directory(Map<String, Fs.Dir> directories, String path) throws IOException {
    Fs.Dir known = directories.get(path);
    if (known != null) {
      return known;
    }
    int slash = path.lastIndexOf('/');
    Fs.Dir parent = slash < 0 ? directories.get("") : directory(directories, path.substring(0, slash));
    String name = path.substring(slash + 1);
    // The name is new in a directory we just made: EEXIST means someone else put it there.
    parent.makeDirectory(name, PRIVATE_DIR_MODE);
    Fs.Dir made = parent.openDirectory(name);
    directories.put(path, made);
    return made;
  }

  private static void writeFile(Fs.Dir parent, String name, MaterialFile file, OptionalInt group)
      throws IOException {
    try (Fs.OpenFile out = new Fs.OpenFile(parent.createFile(name), parent.pathOf(name))) {
      out.writeAll(file.contentBuffer());
      out.sync();
      if (group.isPresent()) {
        out.chgrp(group.getAsInt());
      }
      out.chmod(file.mode());
    }
  }

  /** A data directory just made must be ours: same file system as the target, our owner. */
  private void requireOurs(Fs.Dir dir, Fs.Dir data) throws IOException {
    Fs.Stat made = data.stat();
    if (made.dev() != dir.stat().dev() || made.uid() != Fs.effectiveUid() || !made.isDirectory()) {
      throw new IOException("the data directory just created in " + target
          + " was replaced by something Passport did not make; not writing into it");
    }
  }

  /** Undoes a write that failed before the swap; the old content was never touched. */
  private void discardUnswapped(Fs.Dir dir, String dataDirName, Throwable failure) {
    try {
      if (dir.readLink(DATA_TMP_LINK).filter(dataDirName::equals).isPresent()) {
        dir.unlink(DATA_TMP_LINK);
      }
      if (!dir.readLink(DATA_LINK).filter(dataDirName::equals).isPresent()) {
        removeOwnTree(dir, dataDirName, dir.stat().dev(), 0);
      }
    } catch (IOException | RuntimeException cleanup) {
      failure.addSuppressed(cleanup);
    }
  }

  /** Links every current top-level name through ..data, unlinks old names, removes debris. */
  private void finishAfterSwap(Fs.Dir dir, String dataDirName, Set<String> names) throws IOException {
    for (String name : names) {
      String value = DATA_LINK + "/" + name;
      Optional<Fs.Stat> entry = dir.statEntry(name);
      if (entry.isPresent()) {
        if (!entry.get().isSymbolicLink()) {
          throw inTheWay(name);
        }
        if (dir.readLink(name).filter(value::equals).isPresent()) {
          continue;
        }
        dir.unlink(name);
      }
      dir.symlink(value, name);
    }
    step.reached("links-created");

    long device = dir.stat().dev();
    for (String name : dir.list()) {
      if (name.startsWith("..")) {
        removeIfDebris(dir, name, dataDirName, device);
      } else if (!names.contains(name) && isOurUserLink(dir, name)) {
        dir.unlink(name);
      }
    }
  }

  /**
   * The previous data directory and leftovers of a crashed write (a timestamped directory that
   * ..data never pointed to, a ..data_tmp link). Only called once ..data points at the new content.
   * Names of other shapes are not the writer's and stay.
   */
  private void removeIfDebris(Fs.Dir dir, String name, String dataDirName, long device)
      throws IOException {
    if (name.equals(DATA_LINK) || name.equals(dataDirName)) {
      return;
    }
    Optional<Fs.Stat> entry = dir.statEntry(name);
    if (entry.isEmpty()) {
      return;
    }
    if (name.equals(DATA_TMP_LINK) && entry.get().isSymbolicLink()) {
      dir.unlink(name);
    } else if (DATA_DIR.matcher(name).matches() && entry.get().isDirectory()) {
      removeOwnTree(dir, name, device, 0);
    }
  }

  /**
   * Whether every top-level name of the data directory is still visible the way this writer made
   * it, {@code name -> ..data/name}: the pod sees the links, not the data directory, so a deleted
   * or replaced link is a damaged volume even when the data directory is untouched.
   */
  private boolean userLinksIntact(Fs.Dir dir, String dataDirName) throws IOException {
    try (Fs.Dir data = dir.openDirectory(dataDirName)) {
      return userLinksIntact(dir, data);
    } catch (Fs.ErrnoException e) {
      return false;
    }
  }

  private static boolean userLinksIntact(Fs.Dir dir, Fs.Dir data) throws IOException {
    for (String name : data.list()) {
      if (!isOurUserLink(dir, name)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code name} is a user-visible link as this writer makes them: {@code name -> ..data/name}. */
  private static boolean isOurUserLink(Fs.Dir dir, String name) throws IOException {
    return !name.startsWith("..")
        && dir.readLink(name).filter((DATA_LINK + "/" + name)::equals).isPresent();
  }

  /**
   * Deletes the directory {@code name} in {@code parent} and what is in it, the way it was made:
   * every directory is opened relative to its parent's descriptor with O_NOFOLLOW (a directory
   * swapped for a link fails to open and is left alone), entries are unlinked relative to the
   * directory that holds them (a link is removed, never followed), and a directory on another file
   * system (a mount) or owned by someone else is not entered. Returns whether it is gone.
   */
  private boolean removeOwnTree(Fs.Dir parent, String name, long device, int depth)
      throws IOException {
    try (Fs.Dir dir = parent.openDirectory(name)) {
      Fs.Stat stat = dir.stat();
      if (stat.dev() != device || stat.uid() != Fs.effectiveUid() || depth > MAX_DEPTH) {
        log.warn("not removing {}: it is {}", dir.path(), depth > MAX_DEPTH ? "nested too deep"
            : stat.dev() != device ? "another file system" : "owned by uid " + stat.uid());
        return false;
      }
      for (String child : dir.list()) {
        Optional<Fs.Stat> entry = dir.statEntry(child);
        if (entry.isEmpty()) {
          continue;
        }
        if (entry.get().isDirectory()) {
          removeOwnTree(dir, child, device, depth + 1);
        } else {
          unlinkIfPresent(dir, child);
        }
      }
    } catch (Fs.ErrnoException e) {
      if (e.errno() == Libc.ENOENT) {
        return true;
      }
      if (e.errno() == Libc.ELOOP || e.errno() == Libc.ENOTDIR) {
        // Swapped for a link or a file since it was listed: not a directory we made.
        log.debug("not removing {}/{}: {}", parent.path(), name, e.getMessage());
        return false;
      }
      throw e;
    }
    try {
      parent.removeDirectory(name);
      return true;
    } catch (Fs.ErrnoException e) {
      if (e.errno() == Libc.ENOENT) {
        return true;
      }
      if (e.errno() == Libc.ENOTEMPTY || e.errno() == Libc.EEXIST || e.errno() == Libc.ENOTDIR) {
        log.debug("not removing {}/{}: {}", parent.path(), name, e.getMessage());
        return false;
      }
      throw e;
    }
  }

  private static void unlinkIfPresent(Fs.Dir dir, String name) throws IOException {
    try {
      dir.unlink(name);
    } catch (Fs.ErrnoException e) {
      if (e.errno() == Libc.EISDIR) {
        return; // became a directory since the lstat: not walked now, the next write sees it
      }
      if (e.errno() != Libc.ENOENT) {
        throw e;
      }
    }
  }

  /** The directory ..data names, if ..data is a link to a timestamped directory of this target. */
  private Optional<String> currentDataDirName(Fs.Dir dir) throws IOException {
    Optional<String> value = dir.readLink(DATA_LINK);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    String name = value.get();
    if (!DATA_DIR.matcher(name).matches()
        || dir.statEntry(name).filter(Fs.Stat::isDirectory).isEmpty()) {
      log.warn("{}/{} points to {}, not to a data directory of this volume; ignoring it",
          target, DATA_LINK, MaterialLimits.quote(name));
      return Optional.empty();
    }
    return Optional.of(name);
  }

  /**
   * The {@link ContentHash} of a data directory, read as it is hashed (issue 13): the files are
   * listed and sorted first, then each is opened again, checked against its listing and streamed
   * through the digest a chunk at a time, so proving a volume holds none of it in memory.
   */
  private Optional<String> hashOf(Fs.Dir dir, String dataDirName) throws IOException {
    try (Fs.Dir data = dir.openDirectory(dataDirName)) {
      List<Listed> listed = new ArrayList<>();
      Optional<String> stranger = list(data, "", listed, new long[] {readLimitBytes}, 0);
      ContentHash.Digest digest = new ContentHash.Digest();
      if (stranger.isEmpty()) {
        listed.sort(Comparator.comparing(Listed::path));
        for (Listed file : listed) {
          stranger = hashFile(data, file, digest);
          if (stranger.isPresent()) {
            break;
          }
        }
      }
      if (stranger.isPresent()) {
        log.warn("{}/{} {}; treating the content as unknown", target, dataDirName, stranger.get());
        return Optional.empty();
      }
      return Optional.of(digest.hex());
    } catch (Fs.ErrnoException e) {
      if (e.errno() == Libc.ELOOP || e.errno() == Libc.ENOTDIR || e.errno() == Libc.ENOENT) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** A regular file of a data directory as {@link #list} found it. */
  private record Listed(String path, long size, int mode) {}

  /**
   * Lists the regular files of a tree into {@code files} by metadata alone; returns why the tree is
   * not what the writer makes (as {@link #collect} does).
   */
  private static Optional<String> list(Fs.Dir dir, String prefix, List<Listed> files,
      long[] budget, int depth) throws IOException {
    for (String name : dir.list()) {
      String path = prefix + name;
      Optional<Fs.Stat> entry = dir.statEntry(name);
      if (entry.isEmpty()) {
        return Optional.of("lost " + MaterialLimits.quote(path) + " while it was read");
      }
      if (entry.get().isDirectory()) {
        if (depth >= MAX_DEPTH) {
          return Optional.of("nests directories deeper than the writer makes");
        }
        try (Fs.Dir child = dir.openDirectory(name)) {
          Optional<String> stranger = list(child, path + "/", files, budget, depth + 1);
          if (stranger.isPresent()) {
            return stranger;
          }
        } catch (Fs.ErrnoException e) {
          return Optional.of("has " + MaterialLimits.quote(path) + " swapped for something else");
        }
        continue;
      }
      if (!entry.get().isRegularFile()) {
        return Optional.of("holds " + MaterialLimits.quote(path)
            + ", which is not a regular file (the writer never creates one)");
      }
      long size = entry.get().size();
      if (size > budget[0]) {
        return Optional.of("holds more than the volume's limit of bytes");
      }
      budget[0] -= size;
      files.add(new Listed(path, size, entry.get().permissions() & 0777));
    }
    return Optional.empty();
  }

  /**
   * Feeds one listed file to {@code digest}: opened again relative to the data directory, one
   * segment at a time without following links, and refused if it is no longer what was listed.
   */
  private static Optional<String> hashFile(Fs.Dir data, Listed file, ContentHash.Digest digest)
      throws IOException {
    String changed = "has " + MaterialLimits.quote(file.path()) + " changed while it was read";
    String[] segments = file.path().split("/", -1);
    List<Fs.Dir> opened = new ArrayList<>();
    try {
      Fs.Dir parent = data;
      for (int i = 0; i < segments.length - 1; i++) {
        parent = parent.openDirectory(segments[i]);
        opened.add(parent);
      }
      Optional<Fs.OpenFile> handle = parent.openRegularFile(segments[segments.length - 1]);
      if (handle.isEmpty()) {
        return Optional.of(changed);
      }
      try (Fs.OpenFile open = handle.get()) {
        Fs.Stat stat = open.stat();
        if (stat.size() != file.size() || (stat.permissions() & 0777) != file.mode()) {
          return Optional.of(changed);
        }
        digest.file(file.path(), file.mode(), file.size());
        long[] read = {0};
        boolean whole = open.readTo(file.size(), (chunk, length) -> {
          digest.content(chunk, 0, length);
          read[0] += length;
        });
        return whole && read[0] == file.size() ? Optional.empty() : Optional.of(changed);
      }
    } catch (Fs.ErrnoException e) {
      return Optional.of("has " + MaterialLimits.quote(file.path()) + " swapped for something else");
    } finally {
      opened.forEach(Fs.Dir::close);
    }
  }

  private Optional<List<MaterialFile>> readDataDir(Fs.Dir dir, String dataDirName,
      ByteBudget charges) throws IOException, BackendException {
    List<MaterialFile> files = new ArrayList<>();
    long[] budget = {readLimitBytes};
    try (Fs.Dir data = dir.openDirectory(dataDirName)) {
      Optional<String> stranger = collect(data, "", files, budget, charges, 0);
      if (stranger.isPresent()) {
        log.warn("{}/{} {}; treating the content as unknown", target, dataDirName, stranger.get());
        return Optional.empty();
      }
    } catch (Fs.ErrnoException e) {
      if (e.errno() == Libc.ELOOP || e.errno() == Libc.ENOTDIR || e.errno() == Libc.ENOENT) {
        return Optional.empty();
      }
      throw e;
    }
    files.sort(Comparator.comparing(MaterialFile::path));
    return Optional.of(files);
  }

  /**
   * Reads the regular files of a tree into {@code files}; returns why the tree is not what the
   * writer makes (a link, FIFO or device, an entry swapped mid-read, more bytes than the limit).
   */
  private static Optional<String> collect(Fs.Dir dir, String prefix, List<MaterialFile> files,
      long[] budget, ByteBudget charges, int depth) throws IOException, BackendException {
    for (String name : dir.list()) {
      String path = prefix + name;
      Optional<Fs.Stat> entry = dir.statEntry(name);
      if (entry.isEmpty()) {
        return Optional.of("lost " + MaterialLimits.quote(path) + " while it was read");
      }
      if (entry.get().isDirectory()) {
        if (depth >= MAX_DEPTH) {
          return Optional.of("nests directories deeper than the writer makes");
        }
        try (Fs.Dir child = dir.openDirectory(name)) {
          Optional<String> stranger = collect(child, path + "/", files, budget, charges, depth + 1);
          if (stranger.isPresent()) {
            return stranger;
          }
        } catch (Fs.ErrnoException e) {
          return Optional.of("has " + MaterialLimits.quote(path) + " swapped for something else");
        }
        continue;
      }
      // The writer only creates directories and regular files: a link, FIFO or device here was
      // put by someone else and must not be read through (openRegularFile refuses it).
      Optional<Fs.OpenFile> opened = entry.get().isRegularFile()
          ? dir.openRegularFile(name) : Optional.empty();
      if (opened.isEmpty()) {
        return Optional.of("holds " + MaterialLimits.quote(path)
            + ", which is not a regular file (the writer never creates one)");
      }
      try (Fs.OpenFile file = opened.get()) {
        long size = file.stat().size();
        if (size > budget[0]) {
          return Optional.of("holds more than the volume's limit of bytes");
        }
        charges.charge(size);
        Optional<byte[]> content = file.readAll(budget[0]);
        if (content.isEmpty()) {
          return Optional.of("holds more than the volume's limit of bytes");
        }
        budget[0] -= content.get().length;
        files.add(MaterialFile.of(path, content.get(), file.stat().permissions() & 0777));
      }
    }
    return Optional.empty();
  }

  /**
   * Whether the data directory has the group a write would give it: {@code group}, else the
   * writer's own (a volume that had a group and now has none is rewritten without it). The target
   * is not compared: {@link #ownTarget} sets it on every write.
   */
  private static boolean groupMatches(Fs.Dir dir, String dataDirName, OptionalInt group)
      throws IOException {
    int expected = group.orElse(Fs.effectiveGid());
    return dir.statEntry(dataDirName).filter(s -> s.gid() == expected).isPresent();
  }

  /**
   * Gives the target the group and the mode the files need ({@link DirectoryModes#target}); only
   * what differs is changed. The pod's users can then reach the links in it whatever made the
   * target: a tmpfs mount option, kubelet, a Passport that wrote {@code 0750} before.
   */
  private static void ownTarget(Fs.Dir dir, List<MaterialFile> files, OptionalInt group)
      throws IOException {
    Fs.Stat stat = dir.stat();
    int gid = group.orElse(Fs.effectiveGid());
    if (stat.gid() != gid) {
      dir.chgrp(gid);
    }
    int mode = DirectoryModes.target(files);
    // Whole mode bits: a set-gid or sticky bit someone added goes too.
    if (stat.permissions() != mode) {
      dir.chmod(mode);
    }
  }

  private Fs.Dir openTarget() throws IOException {
    try {
      return Fs.openDirectory(target);
    } catch (Fs.ErrnoException e) {
      throw new IOException("volume target " + target
          + " is not a directory (missing, or a symbolic link); mount it before writing", e);
    }
  }

  private Optional<Fs.Dir> openTargetIfPresent() throws IOException {
    try {
      return Optional.of(Fs.openDirectory(target));
    } catch (Fs.ErrnoException e) {
      if (e.errno() == Libc.ENOENT || e.errno() == Libc.ELOOP || e.errno() == Libc.ENOTDIR) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** A user-visible name must be free or a link: anything else is not ours to replace. */
  private void requireNothingInTheWay(Fs.Dir dir, String name) throws IOException {
    Optional<Fs.Stat> entry = dir.statEntry(name);
    if (entry.isPresent() && !entry.get().isSymbolicLink()) {
      throw inTheWay(name);
    }
  }

  private IOException inTheWay(String name) {
    return new IOException("cannot publish " + MaterialLimits.quote(name) + " in " + target
        + ": a file or directory of that name is in the way and was not created by Passport;"
        + " remove it");
  }

  private static Set<String> topLevelNames(List<MaterialFile> files) {
    Set<String> names = new LinkedHashSet<>();
    for (MaterialFile file : files) {
      int slash = file.path().indexOf('/');
      names.add(slash < 0 ? file.path() : file.path().substring(0, slash));
    }
    return names;
  }
}
