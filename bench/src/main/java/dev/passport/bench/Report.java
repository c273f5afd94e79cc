package dev.passport.bench;

import static dev.passport.bench.Bench.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The figures of one benchmark run, as the markdown table of bench/README.md. */
public final class Report {

  // Issue 22's goals (footprint).
  static final double P1_P50_GOAL = 1.25;
  static final double P1_P99_GOAL = 1.4;
  static final double P3_GOAL = 4;
  static final double RSS_IDLE_GOAL_MIB = 100;
  static final double RSS_LOADED_GOAL_MIB = 112;
  static final double P5_GOAL = 1.5;

  private final Bench.Config config;
  private final List<String> plugins;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private double minimalRssMiB = Double.NaN;

  /** One line of the table; {@code met} is null where the issue sets no goal. */
  public record Row(String figure, String passport, String baseline, String ratio, String goal,
      Boolean met) {}

  Report(Bench.Config config, List<String> plugins) {
    this.config = config;
    this.plugins = List.copyOf(plugins);
  }

  public List<Row> rows() {
    return List.copyOf(rows);
  }

  void p1(double ratio50, double republish50, double probe50, double ratio99, double republish99,
      double probe99) {
    rows.add(new Row("P1 warm republish ÷ Probe, p50", ms(republish50), ms(probe50) + " (Probe)",
        times(ratio50), "≤ 1.25×", ratio50 <= P1_P50_GOAL));
    rows.add(new Row("P1 warm republish ÷ Probe, p99", ms(republish99), ms(probe99) + " (Probe)",
        times(ratio99), "≤ 1.4×", ratio99 <= P1_P99_GOAL));
  }

  void p2(String scenario, Bench.HourResult hour) {
    boolean isStatic = scenario.startsWith("static");
    rows.add(new Row("P2 backend calls per pod per simulated hour, " + scenario + " ¹",
        format(hour.callsPerPod()) + " (" + hour.backendCalls() + " calls, " + hour.pods() + " pods)",
        (hour.republishes() + hour.pods()) + " calls if every (re)publish fetched",
        String.format(Locale.ROOT, "%.3f", hour.ratioToUncached()),
        isStatic ? "≤ 2 per pod" : "—", isStatic ? hour.callsPerPod() <= 2 : null));
  }

  void p1OneFile(double ratio50) {
    rows.add(new Row("P1 (diagnostic) warm republish of a 1-file volume ÷ Probe, p50", "—", "—",
        times(ratio50), "—", null));
  }

  void p1Templated(double ratio50) {
    rows.add(new Row("P1 (diagnostic) warm republish of the 10-file volume with a template ÷ without,"
        + " p50 (issue 23: nothing due renders nothing)", "—", "—", times(ratio50), "≈ 1×", null));
  }

  void p3(double ratio, double publish, double probe, double diskRatio, double diskPublish,
      double diskProbe, boolean tmpfs) {
    rows.add(new Row("P3 cold publish (10 files) ÷ Probe, p50, target on " + (tmpfs ? "tmpfs" : "disk")
        + " ³", ms(publish), ms(probe) + " (Probe)", times(ratio), "≤ 4×", ratio <= P3_GOAL));
    rows.add(new Row("P3 (diagnostic) the same, target on the work dir's disk", ms(diskPublish),
        ms(diskProbe) + " (Probe)", times(diskRatio), "—", null));
    notes.add("³ " + (tmpfs ? "Targets in /dev/shm: in production --mount-mode tmpfs puts every"
        + " target on a tmpfs. The state dir stays on disk (written without fsync: it only saves fetches)."
        : "No writable /dev/shm here: targets on disk."));
  }

  void p4(double idleMiB, double loadedMiB) {
    String baseline = Double.isNaN(minimalRssMiB) ? "—" : format(minimalRssMiB) + " MiB (minimal server)";
    rows.add(new Row("P4 RSS, idle, plugins " + plugins, format(idleMiB) + " MiB", baseline,
        format(idleMiB / minimalRssMiB) + "× of the minimal server", "≤ 100 MiB",
        idleMiB <= RSS_IDLE_GOAL_MIB));
    rows.add(new Row("P4 RSS, " + config.p4Volumes() + " volumes published and republished",
        format(loadedMiB) + " MiB", baseline, format(loadedMiB / minimalRssMiB)
        + "× of the minimal server", "≤ 112 MiB", loadedMiB <= RSS_LOADED_GOAL_MIB));
    notes.add("P4 ratio is RSS ÷ the minimal grpc-java server's RSS right after its first Probe"
        + " (same JVM flags, same run); the goals are issue 22's absolute ones.");
  }

  void minimalRss(double mib) {
    minimalRssMiB = mib;
    rows.add(new Row("(reference) RSS of the minimal grpc-java server after its first Probe",
        format(mib) + " MiB", "—", "—", "—", null));
  }

  void p5(double host, double minimal, double hostCds, double minimalCds, boolean distArchive) {
    rows.add(new Row("P5 start → first Probe ÷ minimal grpc-java server, no AppCDS", ms(host),
        ms(minimal) + " (minimal)", times(host / minimal), "≤ 1.5×", host / minimal <= P5_GOAL));
    rows.add(new Row("P5 start → first Probe ÷ minimal grpc-java server, both with AppCDS ²",
        ms(hostCds), ms(minimalCds) + " (minimal)", times(hostCds / minimalCds), "≤ 1.5×",
        hostCds / minimalCds <= P5_GOAL));
    rows.add(new Row("P5 start → first Probe with AppCDS ÷ minimal server without", ms(hostCds),
        ms(minimal) + " (minimal)", times(hostCds / minimal), "—", null));
    notes.add("² AppCDS archive: " + (distArchive ? "dist/target/passport/lib/passport.jsa"
        : "none in dist; generated by the harness with -XX:ArchiveClassesAtExit (host: a publish,"
            + " republish and unpublish; minimal server: a Probe)"));
  }

  void p5BenchOnly(double host, double minimal) {
    rows.add(new Row("P5 (diagnostic) the same without the shipped plugins (bench plugin only), no"
        + " AppCDS", ms(host), ms(minimal) + " (minimal)", times(host / minimal), "—", null));
  }
  /**
   * P7: the worst allowed load. Copies per byte in flight = (live heap at the peak − idle live heap
   * − the cache bound) ÷ the budget: what {@code HeapFormula.COPIES} must cover.
   */
  void p7(int kubelets, int volumes, double idleRssMiB, double peakRssMiB, long idleHeapMiB,
      long peakHeapMiB, int refusals, long xmxMiB) {
    String load = kubelets + " kubelets × " + volumes / kubelets + " volumes at the 8 MiB limit,"
        + " 16Mi budget, 16Mi cache (bin/passport's defaults)";
    rows.add(new Row("P7 peak RSS (VmHWM) under the worst allowed load: " + load,
        format(peakRssMiB) + " MiB", format(idleRssMiB) + " MiB (same host, idle)",
        format(peakRssMiB / idleRssMiB) + "× of idle", "host stays up", true));
    double copies = (peakHeapMiB - idleHeapMiB - 16) / 16.0;
    rows.add(new Row("P7 (diagnostic) live heap at the peak (most after a full GC, sampled each"
        + " second), -Xmx" + xmxMiB + "m; "
        + refusals + " publishes refused (budget in use) and retried",
        peakHeapMiB + " MiB", idleHeapMiB + " MiB (idle, after a full GC)",
        String.format(Locale.ROOT, "%.2f copies per byte in flight", Math.max(0, copies)), "—",
        null));
  }

  void p6(double sweepCpu, double probesCpu, int volumes) {
    double percentOfCore = sweepCpu / 75.0 * 100;
    rows.add(new Row("P6 CPU of a republish sweep of " + volumes + " volumes",
        String.format(Locale.ROOT, "%.2f CPU-s = %.2f %% of a core at 75 s", sweepCpu, percentOfCore),
        String.format(Locale.ROOT, "%.2f CPU-s for %d Probes", probesCpu, volumes),
        probesCpu > 0 ? times(sweepCpu / probesCpu) : "—", "≤ 1 % of a core", percentOfCore <= 1));
  }

  /** The markdown table with its notes. */
  public String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("## Passport benchmark (").append(config.name()).append(")\n\n");
    md.append(String.format(Locale.ROOT, "%d cores, %s %s, medians over %d run(s); host started with %s."
            + " Plugins loaded: %s.%n%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), config.repeats(),
        config.dist() == null ? "java -cp <host class path> " + HostProcess.HOST_MAIN
            + " serve (the JVM flags of bin/passport)" : "bin/passport serve", plugins));
    md.append("| Figure | Passport | Baseline (same run) | Ratio | Goal | Met |\n");
    md.append("|---|---|---|---|---|---|\n");
    List<Row> ordered = new ArrayList<>(rows);
    ordered.sort(java.util.Comparator.comparing(
        (Row row) -> row.figure().startsWith("(") ? "P5~" : row.figure().substring(0, 2)));
    for (Row row : ordered) {
      md.append("| ").append(row.figure()).append(" | ").append(row.passport()).append(" | ")
          .append(row.baseline()).append(" | ").append(row.ratio()).append(" | ").append(row.goal())
          .append(" | ").append(row.met() == null ? "—" : row.met() ? "yes" : "**no**").append(" |\n");
    }
    md.append("\n### Issue 22: footprint\n\n");
    md.append("| Figure | Passport | Baseline (same run) | Ratio | Goal | Met |\n");
    md.append("|---|---|---|---|---|---|\n");
    for (Row row : footprintRows(ordered)) {
      md.append("| ").append(row.figure()).append(" | ").append(row.passport()).append(" | ")
          .append(row.baseline()).append(" | ").append(row.ratio()).append(" | ").append(row.goal())
          .append(" | ").append(row.met() == null ? "—" : row.met() ? "yes" : "**no**").append(" |\n");
    }
    md.append("\n¹ P2 runs an in-process host (PassportHost with a moved clock) on a real Unix socket:"
        + " a real process has real time. 75 s republish cadence, 1 h tokens rotated at 80 %; ratio ="
        + " backend calls ÷ (re)publishes, i.e. ÷ the calls of a driver that fetches on each one.\n");
    for (String note : notes) {
      md.append("\n").append(note).append("\n");
    }
    return md.toString();
  }

  /**
   * Issue 22's table: the goal rows of P1, P3, P4, P5 and the worst-case RSS of P7 (the same rows
   * as in the full table, in the order).
   */
  static List<Row> footprintRows(List<Row> rows) {
    List<Row> picked = new ArrayList<>();
    for (String prefix : List.of("P1", "P3", "P4", "P5", "P7")) {
      for (Row row : rows) {
        boolean diagnostic = row.figure().contains("(diagnostic)");
        boolean goal = row.met() != null || row.figure().startsWith("P7 peak");
        if (row.figure().startsWith(prefix) && goal && !diagnostic) {
          picked.add(row);
        }
      }
    }
    return picked;
  }

  private static String ms(double millis) {
    return String.format(Locale.ROOT, "%.3f ms", millis);
  }

  private static String times(double ratio) {
    return String.format(Locale.ROOT, ratio >= 10 ? "%.1f×" : "%.3f×", ratio);
  }
}
