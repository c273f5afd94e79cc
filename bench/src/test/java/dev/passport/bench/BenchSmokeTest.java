package dev.passport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's smoke variant (issue 9: "a -Psmoke variant with tiny counts runs in CI"): every
 * figure is measured once with tiny counts, so the harness keeps working. It asserts that the table
 * is complete, never a timing: the numbers of a shared CI machine mean nothing.
 */
class BenchSmokeTest {

  @TempDir Path work;

  @Test
  void smokeRun_measuresEveryFigure_andWritesTheTable() throws Exception {
    Bench.Config config = Bench.Config.smoke(work, null, TestEnvironment.launcherScript(),
        TestEnvironment.hostClasspath());

    Report report = Bench.run(config);

    String markdown = report.markdown();
    Files.writeString(Path.of("target", "bench-smoke.md"), markdown);
    assertThat(report.rows()).extracting(Report.Row::figure).anySatisfy(f -> assertThat(f).startsWith("P1"))
        .anySatisfy(f -> assertThat(f).startsWith("P2"))
        .anySatisfy(f -> assertThat(f).startsWith("P3"))
        .anySatisfy(f -> assertThat(f).startsWith("P4"))
        .anySatisfy(f -> assertThat(f).startsWith("P5"))
        .anySatisfy(f -> assertThat(f).startsWith("P6"))
        .anySatisfy(f -> assertThat(f).startsWith("P7"))
        .anySatisfy(f -> assertThat(f).contains("with a template ÷ without"));
    assertThat(report.rows()).hasSize(20);
    assertThat(markdown).startsWith("## Passport benchmark (smoke)").doesNotContain("NaN")
        .doesNotContain("Infinity");
    // Issue 22's table: its goal rows again, under their own heading.
    assertThat(Report.footprintRows(report.rows())).extracting(Report.Row::figure)
        .hasSize(8).anySatisfy(f -> assertThat(f).startsWith("P7 peak"));
    assertThat(markdown).contains("### Issue 22: footprint");
  }
}
