package dev.passport.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory and CPU time of a Linux process, from {@code /proc}. */
public final class ProcStats {

  /** USER_HZ: the unit of utime and stime. It is 100 on every Linux ABI the JDK runs on. */
  private static final long TICKS_PER_SECOND = ticksPerSecond();

  private ProcStats() {}

  /** {@code VmRSS} of {@code /proc/<pid>/status}, in KiB. */
  public static long rssKiB(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("/proc/" + pid + "/status has no VmRSS line");
  }

  /** {@code VmHWM} of {@code /proc/<pid>/status}: the peak RSS since the process started, in KiB. */
  public static long hwmKiB(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("/proc/" + pid + "/status has no VmHWM line");
  }

  /** utime + stime of {@code /proc/<pid>/stat}, in seconds. */
  public static double cpuSeconds(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // Field 2 (comm) may hold spaces and parentheses: count fields after its closing parenthesis.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long utime = Long.parseLong(fields[11]);
    long stime = Long.parseLong(fields[12]);
    return (utime + stime) / (double) TICKS_PER_SECOND;
  }

  /** Open file descriptors of this JVM. */
  public static int openFds() throws IOException {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return (int) fds.count();
    }
  }

  private static long ticksPerSecond() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(getconf.getInputStream().readAllBytes()).trim();
      if (getconf.waitFor() == 0) {
        return Long.parseLong(out);
      }
    } catch (IOException | NumberFormatException e) {
      // fall through to the Linux default
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
