package dev.passport.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The heap after each collection, from a {@code -Xlog:gc} file ("GC(3) Pause Young ... 40M->12M(96M)"). */
final class GcLog {

  private static final Pattern AFTER = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  private GcLog() {}

  /** How many lines the log holds now. */
  static int lines(Path log) throws IOException {
    return Files.readAllLines(log).size();
  }

  /** The heap after the last collection, in MiB. */
  static long lastAfterMiB(Path log) throws IOException {
    long last = -1;
    for (String line : Files.readAllLines(log)) {
      Matcher m = AFTER.matcher(line);
      if (m.find()) {
        last = Long.parseLong(m.group(2));
      }
    }
    if (last < 0) {
      throw new IOException(log + " records no collection");
    }
    return last;
  }

  /**
   * The most heap left after a full collection from line {@code from} on, in MiB: the live heap
   * (a young collection leaves the old generation's garbage in place).
   */
  static long maxAfterFullMiB(Path log, int from) throws IOException {
    List<String> lines = Files.readAllLines(log);
    long max = 0;
    for (String line : lines.subList(Math.min(from, lines.size()), lines.size())) {
      Matcher m = AFTER.matcher(line);
      if (!line.contains("Pause Full")) {
        continue;
      }
      if (m.find()) {
        max = Math.max(max, Long.parseLong(m.group(2)));
      }
    }
    return max;
  }
}
