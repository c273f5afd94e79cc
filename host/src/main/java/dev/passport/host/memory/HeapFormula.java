package dev.passport.host.memory;

import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * How much heap the host needs for the configured memory bounds (issue 13), the one formula that
 * {@code bin/passport} uses to derive {@code -Xmx} and the host checks at start-up:
 *
 * <pre>
 * heap MiB = BASELINE_MIB + ⌈cache MiB⌉ + COPIES × ⌈in-flight budget MiB⌉
 * </pre>
 *
 * <ul>
 *   <li>{@link #BASELINE_MIB}: 24 MiB for the young generation (bin/passport caps it at
 *       {@code -XX:MaxNewSize=8m} since issue 22; the baseline keeps the 24 MiB it was sized for,
 *       so the formula errs on the large side), the live heap of an idle host with every shipped plugin
 *       loaded (16 MiB measured after a full GC, bench/README.md "P7") and 8 MiB of slack; with the young generation capped, the rest of
 *       the heap is old generation, where the cache and the material in flight live;
 *   <li>the cache holds at most its byte bound of material (its weigher counts the content);
 *   <li>every byte in flight is charged once to the budget (wire bytes), but a plugin holds
 *       several copies of an answer while it decodes it: {@link #COPIES} = 6, the worst shipped
 *       plugin measured (bench/README.md "Copy factor per plugin": vault 5.87 for one KV value
 *       near the volume limit, its body, Jackson's text buffer and tree, the file bytes and
 *       {@code MaterialFile}'s copy; http with {@code jsonKeys} 4.75, plain 2.80). The host
 *       itself adds no copy (it reads content through {@code MaterialFile.contentBuffer()},
 *       writes and hashes in 64 KiB chunks, and streams the hash of a volume on disk).
 * </ul>
 *
 * <p>With the defaults (16Mi cache, 16Mi budget) this is {@code -Xmx160m}. The heap is a bound,
 * not a reservation: an idle host's heap stays near its live size (bench P4).
 *
 * <p>Keep {@code BASELINE_MIB} and {@code COPIES} equal to the launcher's; a dist test checks it.
 */
public final class HeapFormula {

  /** 24 MiB young generation + 16 MiB idle live heap (measured) + 8 MiB slack. */
  public static final long BASELINE_MIB = 48;
  /** Copies of a charged byte alive at once in the worst shipped plugin (see the class comment). */
  public static final long COPIES = 6;

  private static final long MIB = 1024 * 1024;

  private HeapFormula() {}

  /** The heap, in MiB, that a cache of {@code cacheBytes} and a budget of {@code budgetBytes} need. */
  public static long requiredHeapMib(long cacheBytes, long budgetBytes) {
    return BASELINE_MIB + ceilMib(cacheBytes) + COPIES * ceilMib(budgetBytes);
  }

  /**
   * Why these bounds cannot work on a heap of {@code maxHeapBytes}, if they cannot: the budget must
   * hold a volume's old and new material at the per-volume limit (a refresh holds both), and the
   * heap must fit the formula. The message names the {@code -Xmx} or the budget to set.
   */
  public static Optional<String> problem(long maxHeapBytes, long cacheBytes, long budgetBytes,
      long volumeLimitBytes) {
    if (budgetBytes < 2 * volumeLimitBytes) {
      return Optional.of("the budget for material in flight (" + ByteSize.format(budgetBytes)
          + ") must hold twice the per-volume limit of " + ByteSize.format(volumeLimitBytes)
          + " (a refresh holds the old and the new material); set PASSPORT_MATERIAL_BUDGET or"
          + " --material-budget to at least " + ByteSize.format(2 * volumeLimitBytes));
    }
    long required = requiredHeapMib(cacheBytes, budgetBytes);
    if (maxHeapBytes < required * MIB) {
      return Optional.of("the heap (-Xmx" + Math.max(1, maxHeapBytes / MIB) + "m) is smaller than"
          + " the " + required + " MiB that a cache of " + ByteSize.format(cacheBytes)
          + " and a budget for material in flight of " + ByteSize.format(budgetBytes) + " need ("
          + BASELINE_MIB + " MiB baseline + " + ceilMib(cacheBytes) + " MiB cache + " + COPIES
          + " × " + ceilMib(budgetBytes) + " MiB in flight); set -Xmx" + required + "m in"
          + " JAVA_OPTS (or leave -Xmx out: bin/passport derives it), or lower the cache or budget");
    }
    return Optional.empty();
  }

  /** This JVM's {@code -Xmx} in bytes (HotSpot's MaxHeapSize; {@code Runtime.maxMemory} elsewhere). */
  public static long maxHeapBytes() {
    try {
      return Long.parseLong(ManagementFactory.getPlatformMXBean(
          com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption("MaxHeapSize").getValue());
    } catch (RuntimeException e) {
      // Not HotSpot: maxMemory leaves out a survivor space, so it errs on the safe side.
      return Runtime.getRuntime().maxMemory();
    }
  }

  private static long ceilMib(long bytes) {
    return (bytes + MIB - 1) / MIB;
  }
}
