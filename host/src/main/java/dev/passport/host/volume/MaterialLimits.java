package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

import dev.passport.api.MaterialFile;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a backend may return for one volume, checked before anything is written.
 *
 * <p>Paths must be relative, {@code /}-separated, without {@code .} or {@code ..} segments, empty
 * segments, backslashes or NUL; no segment may start with {@code ..} (the writer reserves those
 * names for {@code ..data} and its timestamped directories). Paths must be unique and no path may be
 * both a file and the directory of another file.
 *
 * @param maxFiles the most files a volume may hold
 * @param maxFileBytes the largest a single file may be
 * @param maxTotalBytes the largest all files together may be; a tmpfs volume is sized from it
 */
public record MaterialLimits(int maxFiles, long maxFileBytes, long maxTotalBytes) {

  /** Linux NAME_MAX: a longer segment fails at write time with a less helpful error. */
  private static final int MAX_SEGMENT_BYTES = 255;

  /** Checks that every limit is positive. */
  public MaterialLimits {
    if (maxFiles < 1) {
      throw new IllegalArgumentException("maxFiles is " + maxFiles + ", must be at least 1");
    }
    if (maxFileBytes < 1) {
      throw new IllegalArgumentException("maxFileBytes is " + maxFileBytes + ", must be at least 1");
    }
    if (maxTotalBytes < maxFileBytes) {
      throw new IllegalArgumentException("maxTotalBytes is " + maxTotalBytes
          + ", must be at least maxFileBytes (" + maxFileBytes + ")");
    }
  }

  /** tmpfs allocates whole pages: a 1-byte file, or a link of 128 bytes or more, takes 4 KiB. */
  static final long TMPFS_PAGE_BYTES = 4096;
  /** For the short links (..data, ..data_tmp) and anything the kernel adds that we did not see. */
  static final long TMPFS_SLACK_BYTES = 64 * 1024;

  /**
   * The tmpfs size at which a volume at these limits can always be replaced (issue 14): the writer
   * holds the old and the new copy until the swap, each at most {@code maxTotalBytes} plus a page
   * of rounding per file, plus one page per user-visible link (a long name makes the link take a
   * page), plus slack. Measured on a real tmpfs: directories and links shorter than 128 bytes take
   * no blocks, every file rounds up to 4 KiB. {@code TmpfsScenario} rotates a volume at the limit.
   */
  public long replaceableBytes() {
    long copy = maxTotalBytes + maxFiles * TMPFS_PAGE_BYTES;
    return 2 * copy + maxFiles * TMPFS_PAGE_BYTES + TMPFS_SLACK_BYTES;
  }

  /** 1000 files, 4 MiB per file, 8 MiB in total. */
  public static MaterialLimits defaults() {
    return new MaterialLimits(1000, 4L << 20, 8L << 20);
  }

  /**
   * Checks {@code files} against every rule.
   *
   * @throws InvalidMaterialException naming the first offending path and the rule it breaks
   */
  public void validate(List<MaterialFile> files) throws InvalidMaterialException {
    requireNonNull(files, "files is null");
    if (files.isEmpty()) {
      throw new InvalidMaterialException(
          "the backend returned no files; a volume must hold at least one file");
    }
    if (files.size() > maxFiles) {
      throw new InvalidMaterialException("the backend returned " + files.size()
          + " files, more than the limit of " + maxFiles + " files per volume", true);
    }
    long total = 0;
    for (MaterialFile file : files) {
      if (file.size() > maxFileBytes) {
        throw new InvalidMaterialException("file " + quote(file.path()) + " is " + file.size()
            + " bytes, more than the limit of " + maxFileBytes + " bytes per file", true);
      }
      total += file.size();
    }
    Optional<String> problem = structureProblem(files);
    if (problem.isPresent()) {
      throw new InvalidMaterialException(problem.get());
    }
    if (total > maxTotalBytes) {
      throw new InvalidMaterialException("the backend returned " + total
          + " bytes in total, more than the limit of " + maxTotalBytes + " bytes per volume", true);
    }
  }

  /**
   * The first broken path rule (per-path rules, duplicates, file/directory clashes), if any. The
   * writer re-checks with this so that it never writes outside its target, whoever calls it.
   */
  static Optional<String> structureProblem(List<MaterialFile> files) {
    Set<String> paths = new HashSet<>();
    for (MaterialFile file : files) {
      Optional<String> problem = pathProblem(requireNonNull(file, "file is null").path());
      if (problem.isPresent()) {
        return problem;
      }
      if (!paths.add(file.path())) {
        return Optional.of("file " + quote(file.path())
            + " appears more than once; paths must be unique");
      }
    }
    for (String path : paths) {
      for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
        String directory = path.substring(0, slash);
        if (paths.contains(directory)) {
          return Optional.of(quote(directory) + " is both a file and the directory of "
              + quote(path) + "; rename one of them");
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<String> pathProblem(String path) {
    String invalid = "file path " + quote(path) + " is invalid: ";
    if (path.isEmpty()) {
      return Optional.of("a file path is empty; every file needs a relative path such as \"tls.crt\"");
    }
    if (path.startsWith("/")) {
      return Optional.of(invalid + "it is absolute; use a path relative to the volume");
    }
    if (path.indexOf('\\') >= 0) {
      return Optional.of(invalid + "it contains a backslash; separate directories with \"/\"");
    }
    if (path.indexOf('\0') >= 0) {
      return Optional.of(invalid + "it contains a NUL character");
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty()) {
        return Optional.of(invalid + "it has an empty segment (\"//\" or a trailing \"/\")");
      }
      if (segment.equals(".")) {
        return Optional.of(invalid + "it contains a \".\" segment");
      }
      if (segment.equals("..")) {
        return Optional.of(invalid + "it contains a \"..\" segment; paths must stay inside the volume");
      }
      if (segment.startsWith("..")) {
        return Optional.of(invalid + "the name " + quote(segment)
            + " starts with \"..\", which is reserved for the volume's internal entries");
      }
      if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
        return Optional.of(invalid + "a segment is longer than " + MAX_SEGMENT_BYTES + " bytes");
      }
    }
    return Optional.empty();
  }

  /** Pod events are single-line text: show control characters as escapes. */
  static String quote(String path) {
    StringBuilder out = new StringBuilder(path.length() + 2).append('"');
    for (char c : path.toCharArray()) {
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
