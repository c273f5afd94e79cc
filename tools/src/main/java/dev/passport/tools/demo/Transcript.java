package dev.passport.tools.demo;

import dev.passport.conformance.MountedVolume;
import java.io.PrintWriter;

/** What the demo prints: steps, and the indented files and counters under them. */
public final class Transcript {

  private final PrintWriter out;

  public Transcript(PrintWriter out) {
    this.out = out;
  }

  public void step(String format, Object... args) {
    out.printf("==> " + format + "%n", args);
    out.flush();
  }

  public void detail(String format, Object... args) {
    out.printf("    " + format + "%n", args);
    out.flush();
  }

  /** Every file of the volume as the pod sees it, {@code name = content}. */
  public void files(MountedVolume volume) {
    volume.readAll().forEach((name, content) -> detail("%s = %s", name, content));
  }
}
