package dev.passport.host.volume;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * File operations relative to an open directory, none of which follows a symbolic link: a
 * directory is opened with {@code O_NOFOLLOW|O_DIRECTORY}, a file with {@code O_NOFOLLOW} and
 * checked with {@code fstat} on the descriptor, and modes and owners are set on descriptors, never
 * on names. Names are single path segments (no {@code /}), so nothing is ever resolved through a
 * directory the pod could have replaced with a link. Failures are IOExceptions naming the
 * operation, the path and the errno text.
 */
final class Fs {
  private Fs() {}

  /** S_IFMT and the file types of st_mode. */
  static final int S_IFMT = 0170000;
  static final int S_IFDIR = 0040000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;

  private static final int STAT_BYTES = 144;
  private static final boolean GENERIC_STAT = Platform.ARCH.equals("aarch64");

  /** The fields of {@code struct stat} the writer uses. */
  record Stat(long dev, long ino, int mode, long nlink, int uid, int gid, long size,
      long mtimeSeconds, long mtimeNanos) {
    boolean isDirectory() {
      return (mode & S_IFMT) == S_IFDIR;
    }

    boolean isRegularFile() {
      return (mode & S_IFMT) == S_IFREG;
    }

    boolean isSymbolicLink() {
      return (mode & S_IFMT) == S_IFLNK;
    }

    int permissions() {
      return mode & 07777;
    }

    static Stat decode(byte[] raw) {
      ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
      if (GENERIC_STAT) {
        // asm-generic/stat.h: dev, ino, mode(u32), nlink(u32), uid, gid, rdev, pad, size ...
        return new Stat(b.getLong(0), b.getLong(8), b.getInt(16), Integer.toUnsignedLong(b.getInt(20)),
            b.getInt(24), b.getInt(28), b.getLong(48), b.getLong(88), b.getLong(96));
      }
      // x86-64: dev, ino, nlink(u64), mode(u32), uid, gid, pad, rdev, size ...
      return new Stat(b.getLong(0), b.getLong(8), b.getInt(24), b.getLong(16), b.getInt(28),
          b.getInt(32), b.getLong(48), b.getLong(88), b.getLong(96));
    }
  }

  /** A file descriptor the writer opened itself, with what every kind of one can do. */
  abstract static class Descriptor implements AutoCloseable {
    final int fd;
    /** Where it was when it was opened; for messages only, never resolved again. */
    final String path;
    private boolean closed;

    Descriptor(int fd, String path) {
      this.fd = fd;
      this.path = path;
    }

    void chmod(int mode) throws IOException {
      check(Libc.fchmod(fd, mode), "fchmod", path);
    }

    void chgrp(int gid) throws IOException {
      check(Libc.fchown(fd, -1, gid), "fchown", path);
    }

    void sync() throws IOException {
      check(Libc.fsync(fd), "fsync", path);
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        Libc.close(fd);
      }
    }
  }

  /** An open directory: every operation names one entry relative to it. */
  static final class Dir extends Descriptor {

    private Dir(int fd, String path) {
      super(fd, path);
    }

    /** Where this directory was when it was opened; for messages only, never resolved again. */
    String path() {
      return path;
    }

    String pathOf(String name) {
      return path + "/" + name;
    }

    /** One path segment: never a separator, so nothing is resolved through another directory. */
    private byte[] segment(String name) {
      if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
          || name.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("not a single path segment: " + MaterialLimits.quote(name));
      }
      return c(name);
    }

    /** fstat of the open directory itself. */
    Stat stat() throws IOException {
      byte[] raw = new byte[STAT_BYTES];
      check(Libc.fstat(fd, raw), "fstat", path);
      return Stat.decode(raw);
    }

    /** lstat of one entry; empty if it does not exist. */
    Optional<Stat> statEntry(String name) throws IOException {
      byte[] raw = new byte[STAT_BYTES];
      if (Libc.fstatat(fd, segment(name), raw, Libc.AT_SYMLINK_NOFOLLOW) != 0) {
        int errno = Native.getLastError();
        if (errno == Libc.ENOENT) {
          return Optional.empty();
        }
        throw failure("fstatat", pathOf(name), errno);
      }
      return Optional.of(Stat.decode(raw));
    }

    /** Opens a subdirectory; a link, a file or a missing entry is refused. */
    Dir openDirectory(String name) throws IOException {
      segment(name);
      return openDirectoryAt(fd, name, pathOf(name));
    }

    /** Creates a subdirectory (the entry must not exist). */
    void makeDirectory(String name, int mode) throws IOException {
      check(Libc.mkdirat(fd, segment(name), mode), "mkdirat", pathOf(name));
    }

    /** Creates a new regular file (O_EXCL: never an existing entry, never through a link). */
    int createFile(String name) throws IOException {
      int file = Libc.openat(fd, segment(name), Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL
          | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NOCTTY, 0600);
      check(file, "openat(O_CREAT|O_EXCL)", pathOf(name));
      return file;
    }

    /**
     * Opens an entry for reading without blocking and without following a link, and returns the
     * descriptor only if fstat on it says regular file: a FIFO or device planted in place of a file
     * is closed again before a byte is read. Empty if the entry is anything else.
     */
    Optional<OpenFile> openRegularFile(String name) throws IOException {
      int file = Libc.openat(fd, segment(name), Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK
          | Libc.O_CLOEXEC | Libc.O_NOCTTY, 0);
      if (file < 0) {
        int errno = Native.getLastError();
        if (errno == Libc.ELOOP || errno == Libc.ENOENT) {
          return Optional.empty();
        }
        throw failure("openat", pathOf(name), errno);
      }
      OpenFile open = new OpenFile(file, pathOf(name));
      try {
        Stat stat = open.stat();
        if (!stat.isRegularFile()) {
          open.close();
          return Optional.empty();
        }
        return Optional.of(open);
      } catch (IOException | RuntimeException e) {
        open.close();
        throw e;
      }
    }

    void symlink(String value, String name) throws IOException {
      check(Libc.symlinkat(c(value), fd, segment(name)), "symlinkat", pathOf(name));
    }

    /** The value of a symbolic link; empty if the entry is missing or not a link. */
    Optional<String> readLink(String name) throws IOException {
      byte[] buffer = new byte[4096];
      long length = Libc.readlinkat(fd, segment(name), buffer, buffer.length);
      if (length < 0) {
        int errno = Native.getLastError();
        // EINVAL: not a link.
        if (errno == Libc.ENOENT || errno == 22) {
          return Optional.empty();
        }
        throw failure("readlinkat", pathOf(name), errno);
      }
      return Optional.of(new String(buffer, 0, (int) length, StandardCharsets.UTF_8));
    }

    /** rename(2) inside this directory: atomic, replaces {@code to} if it is not a directory. */
    void rename(String from, String to) throws IOException {
      check(Libc.renameat(fd, segment(from), fd, segment(to)), "renameat", pathOf(from) + " -> " + to);
    }

    /** Removes a non-directory entry (a link is removed, never followed). */
    void unlink(String name) throws IOException {
      check(Libc.unlinkat(fd, segment(name), 0), "unlinkat", pathOf(name));
    }

    /** Removes an empty subdirectory. */
    void removeDirectory(String name) throws IOException {
      check(Libc.unlinkat(fd, segment(name), Libc.AT_REMOVEDIR), "unlinkat(AT_REMOVEDIR)", pathOf(name));
    }

    /** The names in this directory, without {@code .} and {@code ..}. */
    List<String> list() throws IOException {
      int copy = Libc.dup(fd);
      check(copy, "dup", path);
      Pointer stream = Libc.fdopendir(copy);
      if (stream == null) {
        int errno = Native.getLastError();
        Libc.close(copy);
        throw failure("fdopendir", path, errno);
      }
      try {
        // The copy shares the offset with fd: start from the beginning whatever listed it before.
        Libc.rewinddir(stream);
        List<String> names = new ArrayList<>();
        for (Pointer entry = Libc.readdir(stream); entry != null; entry = Libc.readdir(stream)) {
          // struct dirent64 on 64-bit glibc: d_ino, d_off (8 each), d_reclen (2), d_type (1), d_name.
          String name = entry.getString(19, StandardCharsets.UTF_8.name());
          if (!name.equals(".") && !name.equals("..")) {
            names.add(name);
          }
        }
        return names;
      } finally {
        Libc.closedir(stream);
      }
    }

    @Override
    public String toString() {
      return "Dir[" + path + "]";
    }
  }

  /** An open file descriptor of a regular file. */
  static final class OpenFile extends Descriptor {

    /** The most bytes one read(2) or write(2) moves: bounds the native copy JNA makes per call. */
    static final int WRITE_CHUNK_BYTES = 64 * 1024;

    OpenFile(int fd, String path) {
      super(fd, path);
    }

    Stat stat() throws IOException {
      byte[] raw = new byte[STAT_BYTES];
      check(Libc.fstat(fd, raw), "fstat", path);
      return Stat.decode(raw);
    }

    /**
     * Reads the whole file, at most {@code limit} bytes; empty when the file holds more (it grew
     * past its fstat size, or is larger than the limit). The result is the only array of the
     * file's size: reads go through one chunk ({@link #readTo}).
     */
    Optional<byte[]> readAll(long limit) throws IOException {
      long size = stat().size();
      if (size > limit) {
        return Optional.empty();
      }
      byte[] content = new byte[(int) size];
      int[] total = {0};
      if (!readTo(size, (chunk, length) -> {
        System.arraycopy(chunk, 0, content, total[0], length);
        total[0] += length;
      })) {
        return Optional.empty();
      }
      return Optional.of(total[0] == size ? content : Arrays.copyOf(content, total[0]));
    }

    /** Takes the bytes of a file as they are read, a chunk at a time. */
    interface Chunks {
      void take(byte[] chunk, int length);
    }

    /**
     * Reads the file from its offset to its end through one chunk of at most
     * {@link #WRITE_CHUNK_BYTES}, handing each piece to {@code chunks}; false as soon as it holds
     * more than {@code size} bytes (it grew: read one byte past {@code size} to notice). A file
     * that shrank ends early; the caller compares what it got.
     */
    boolean readTo(long size, Chunks chunks) throws IOException {
      byte[] chunk = new byte[(int) Math.min(size + 1, WRITE_CHUNK_BYTES)];
      long total = 0;
      while (true) {
        int want = (int) Math.min(chunk.length, size - total + 1);
        long n = Libc.read(fd, chunk, want);
        if (n < 0) {
          int errno = Native.getLastError();
          if (errno == Libc.EINTR) {
            continue;
          }
          throw failure("read", path, errno);
        }
        if (n == 0) {
          return true;
        }
        if (total + n > size) {
          return false;
        }
        chunks.take(chunk, (int) n);
        total += n;
      }
    }

    /**
     * Writes all of {@code content} from its position. Through one chunk of at most
     * {@link #WRITE_CHUNK_BYTES}, never a copy of the whole content (issue 13): the content is a
     * read-only view, and JNA copies each array argument into native memory for the call.
     */
    void writeAll(ByteBuffer content) throws IOException {
      byte[] chunk = new byte[Math.min(content.remaining(), WRITE_CHUNK_BYTES)];
      while (content.hasRemaining()) {
        int length = Math.min(content.remaining(), chunk.length);
        content.get(chunk, 0, length);
        int written = 0;
        while (written < length) {
          byte[] rest = written == 0 ? chunk : Arrays.copyOfRange(chunk, written, length);
          long n = Libc.write(fd, rest, length - written);
          if (n < 0) {
            int errno = Native.getLastError();
            if (errno == Libc.EINTR) {
              continue;
            }
            throw failure("write", path, errno);
          }
          written += (int) n;
        }
      }
    }

  }

  /**
   * Opens {@code path} as a directory without following a link in its last component: the one
   * place a path is resolved, once per operation, for the target kubelet names.
   */
  static Dir openDirectory(Path path) throws IOException {
    String absolute = path.toAbsolutePath().normalize().toString();
    return openDirectoryAt(Libc.AT_FDCWD, absolute, absolute);
  }

  /** lstat by path (the last component is not followed). Empty if missing. */
  static Optional<Stat> lstat(Path path) throws IOException {
    byte[] raw = new byte[STAT_BYTES];
    String absolute = path.toAbsolutePath().normalize().toString();
    if (Libc.fstatat(Libc.AT_FDCWD, c(absolute), raw, Libc.AT_SYMLINK_NOFOLLOW) != 0) {
      int errno = Native.getLastError();
      if (errno == Libc.ENOENT || errno == Libc.ENOTDIR) {
        return Optional.empty();
      }
      throw failure("lstat", absolute, errno);
    }
    return Optional.of(Stat.decode(raw));
  }

  /** rmdir(2) by path: never follows a link in the last component, fails on a non-empty dir. */
  static void removeDirectory(Path path) throws IOException {
    String absolute = path.toAbsolutePath().normalize().toString();
    check(Libc.unlinkat(Libc.AT_FDCWD, c(absolute), Libc.AT_REMOVEDIR), "rmdir", absolute);
  }

  static int effectiveUid() {
    return Libc.geteuid();
  }

  /** The group new files get when no group is chosen (the target has no set-gid bit). */
  static int effectiveGid() {
    return Libc.getegid();
  }

  private static Dir openDirectoryAt(int dirfd, String name, String path) throws IOException {
    int fd = Libc.openat(dirfd, c(name), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW
        | Libc.O_CLOEXEC, 0);
    check(fd, "openat(O_DIRECTORY|O_NOFOLLOW)", path);
    return new Dir(fd, path);
  }

  /** An errno from a libc call. */
  static final class ErrnoException extends IOException {
    private final int errno;

    ErrnoException(String message, int errno) {
      super(message);
      this.errno = errno;
    }

    int errno() {
      return errno;
    }
  }

  private static void check(long result, String operation, String path) throws IOException {
    if (result < 0) {
      throw failure(operation, path, Native.getLastError());
    }
  }

  private static ErrnoException failure(String operation, String path, int errno) {
    String reason = switch (errno) {
      case Libc.ELOOP -> "it is a symbolic link, which the writer never follows";
      case Libc.ENOTDIR -> "it is not a directory";
      default -> Libc.strerror(errno);
    };
    return new ErrnoException(operation + " " + path + " failed: " + reason + " (errno " + errno + ")",
        errno);
  }

  private static byte[] c(String name) {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(bytes, bytes.length + 1);
  }
}
