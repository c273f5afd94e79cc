package dev.passport.testkit;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.Material;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The measuring half of a plugin's copy-factor harness (bench/README.md P7, "copy factor per
 * plugin"): a parent binary-searches the smallest {@code -Xmx} at which a child JVM fetches and
 * holds {@code n} Materials ({@link #search}), the child makes the fetches ({@link #holdFetches}).
 * The plugin's harness sets up its service and backend. Not used by any test: the harnesses are
 * run by hand.
 */
public final class CopyFactor {
  private CopyFactor() {}

  /** The smallest heap that held the fetches, and the bytes they charged at it. */
  public record Search(int minMib, long charged) {}

  /** One fetch of the child's {@code id}-th thread, charging {@code budget}. */
  @FunctionalInterface
  public interface Fetch {
    Material fetch(int id, ByteBudget budget) throws Exception;
  }

  /**
   * Smallest -Xmx in [lo, hi] MiB at which {@code harness child which childArgs…} succeeds
   * (success assumed monotonic); {@code label} names the run in the progress lines.
   */
  public static Search search(Class<?> harness, List<String> childArgs, String which, String label,
      int lo, int hi) throws Exception {
    long charged = run(harness, childArgs, which, label, hi);
    if (charged < 0) {
      throw new IllegalStateException(which + " fails even at -Xmx" + hi + "m");
    }
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      long c = run(harness, childArgs, which, label, mid);
      if (c >= 0) {
        hi = mid;
        charged = c;
      } else {
        lo = mid + 1;
      }
    }
    return new Search(hi, charged);
  }

  /** Runs the child at -Xmx{mib}m: the bytes charged if it succeeded, else -1. */
  static long run(Class<?> harness, List<String> childArgs, String which, String label, int mib)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + mib + "m", "-Xms8m", "-Xmn8m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
        "-XX:TieredStopAtLevel=1", "-Xss512k",
        "-cp", System.getProperty("java.class.path"),
        harness.getName(), "child", which));
    command.addAll(childArgs);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return -1;
    }
    int rc = process.exitValue();
    System.out.printf("  %s %s -Xmx%dm -> rc %d%n", which, label, mib, rc);
    if (rc == 0) {
      for (String line : out.split("\n")) {
        if (line.startsWith("CHARGED ")) {
          return Long.parseLong(line.substring(8).trim());
        }
      }
      throw new IllegalStateException("child printed no CHARGED line: " + out);
    }
    if (rc != 3 && !out.contains("OutOfMemoryError")) {
      // not an OOM: a broken run, not a measurement
      throw new IllegalStateException("child failed (rc " + rc + "): " + out);
    }
    return -1;
  }

  /**
   * The child's work: {@code n} threads fetch at once and every Material is held; prints the bytes
   * charged and exits 0, or exits 1 after the first failure's stack trace.
   */
  public static void holdFetches(int n, Fetch fetch) throws InterruptedException {
    AtomicLong charged = new AtomicLong();
    List<Material> held = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = i;
      Thread t = new Thread(() -> {
        try {
          go.await();
          Material m = fetch.fetch(id, counting(charged));
          synchronized (held) {
            held.add(m);
          }
        } catch (Throwable e) {
          synchronized (failures) {
            failures.add(e);
          }
        }
      });
      threads.add(t);
      t.start();
    }
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    if (!failures.isEmpty()) {
      failures.get(0).printStackTrace();
      System.exit(1);
    }
    System.out.println("CHARGED " + charged.get());
    System.out.println("HELD " + held.size());
    System.exit(0);
  }

  /** An unlimited budget that counts what it is charged, across the fetches of one child. */
  static ByteBudget counting(AtomicLong total) {
    return new ByteBudget() {
      @Override
      public long limit() {
        return Long.MAX_VALUE;
      }

      @Override
      public void charge(long bytes) throws BackendException {
        total.addAndGet(bytes);
      }
    };
  }
}
