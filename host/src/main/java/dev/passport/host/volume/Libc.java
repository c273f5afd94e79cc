package dev.passport.host.volume;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc calls the writer needs, direct-mapped with JNA (issue 14): every call that names a file
 * takes a directory file descriptor, so a path is never resolved from the root again once the
 * volume's target is open. Paths are passed as NUL-terminated UTF-8 bytes, so no encoding setting
 * can change a name. {@link Fs} wraps these in IOExceptions; nothing else calls them.
 */
final class Libc {
  private Libc() {}

  static {
    if (!Platform.isLinux() || !(Platform.ARCH.equals("x86-64") || Platform.ARCH.equals("aarch64"))) {
      throw new UnsupportedOperationException("the volume writer needs Linux on x86-64 or aarch64;"
          + " this is " + Platform.ARCH + " on OS type " + Platform.getOSType());
    }
    Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
  }

  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final int AT_REMOVEDIR = 0x200;

  static final int O_RDONLY = 0;
  static final int O_WRONLY = 01;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_NOCTTY = 0400;
  static final int O_NONBLOCK = 04000;
  // O_DIRECTORY and O_NOFOLLOW differ between x86-64 and the generic (aarch64) headers.
  static final int O_DIRECTORY = Platform.ARCH.equals("aarch64") ? 040000 : 0200000;
  static final int O_NOFOLLOW = Platform.ARCH.equals("aarch64") ? 0100000 : 0400000;
  static final int O_CLOEXEC = 02000000;

  static final int ENOENT = 2;
  static final int EINTR = 4;
  static final int EEXIST = 17;
  static final int ENOTDIR = 20;
  static final int EISDIR = 21;
  static final int ENOTEMPTY = 39;
  static final int ELOOP = 40;

  static native int openat(int dirfd, byte[] path, int flags, int mode);

  static native int mkdirat(int dirfd, byte[] path, int mode);

  static native int symlinkat(byte[] value, int dirfd, byte[] path);

  static native long readlinkat(int dirfd, byte[] path, byte[] buffer, long size);

  static native int renameat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath);

  static native int unlinkat(int dirfd, byte[] path, int flags);

  static native int fchmod(int fd, int mode);

  static native int fchown(int fd, int owner, int group);

  static native int fstat(int fd, byte[] stat);

  static native int fstatat(int dirfd, byte[] path, byte[] stat, int flags);

  static native long read(int fd, byte[] buffer, long count);

  static native long write(int fd, byte[] buffer, long count);

  static native int fsync(int fd);

  static native int close(int fd);

  static native int dup(int fd);

  static native Pointer fdopendir(int fd);

  static native Pointer readdir(Pointer dir);

  static native void rewinddir(Pointer dir);

  static native int closedir(Pointer dir);

  static native int geteuid();

  static native int getegid();

  static native String strerror(int errno);
}
