package dev.passport.host.volume;

import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The operator's {@code --default-file-mode} and the one place it is applied: every file whose
 * backend chose no mode ({@link MaterialFile#chosenMode()} empty) gets it as soon as the backend
 * returns, before the host hashes, caches or writes the material. From then on every mode is
 * explicit, so a content hash, a verification against the volume and a read-back after a restart
 * all see the same modes, and a change of the flag is a change of content (the volume is
 * rewritten with the new modes on its next fetch).
 */
public final class FileModes {

  /** Octal permission bits as operators write them: {@code 644}, {@code 0644}, {@code 0o644}. */
  private static final Pattern OCTAL = Pattern.compile("(?:0[oO]?)?[0-7]{1,4}");

  private final int defaultMode;

  private FileModes(int defaultMode) {
    this.defaultMode = defaultMode;
  }

  /** The host's default: {@link MaterialFile#DEFAULT_MODE} ({@code 0644}), as kubelet's secret volumes. */
  public static FileModes defaults() {
    return new FileModes(MaterialFile.DEFAULT_MODE);
  }

  /** Files without a chosen mode get {@code defaultMode}, within {@code 0..0777}. */
  public static FileModes withDefault(int defaultMode) {
    if (defaultMode < 0 || defaultMode > 0777) {
      throw new IllegalArgumentException("default file mode " + octal(defaultMode)
          + " is not within 0000..0777 (permission bits only: no setuid, setgid or sticky bit)");
    }
    return new FileModes(defaultMode);
  }

  /**
   * Reads an octal mode as {@code --default-file-mode} takes it, e.g. {@code 0644} or {@code 0440}.
   *
   * @throws IllegalArgumentException naming the value and the accepted form
   */
  public static FileModes parse(String value) {
    String text = value == null ? "" : value.trim();
    if (!OCTAL.matcher(text).matches()
        || Integer.parseInt(text.replaceFirst("^0[oO]", ""), 8) > 0777) {
      throw new IllegalArgumentException("'" + value + "' is not a file mode; write octal"
          + " permission bits within 0000..0777 (no setuid, setgid or sticky bit), e.g. 0644 (readable by every user of the pod,"
          + " the default) or 0440 (owner and group only)");
    }
    String digits = text.replaceFirst("^0[oO]", "");
    return withDefault(Integer.parseInt(digits, 8));
  }

  /** The mode a file without a chosen mode gets. */
  public int defaultMode() {
    return defaultMode;
  }

  /**
   * {@code material} with every file's mode explicit: the backend's choice where it made one, the
   * default elsewhere. Refresh time, expiry, version and group are kept. Returns {@code material}
   * itself when every file already has a mode.
   */
  public Material resolve(Material material) {
    List<MaterialFile> files = material.files();
    if (files.stream().allMatch(f -> f.chosenMode().isPresent())) {
      return material;
    }
    List<MaterialFile> explicit = new ArrayList<>(files.size());
    for (MaterialFile file : files) {
      // withMode shares the content: resolving costs no copy of the secret.
      explicit.add(file.chosenMode().isPresent() ? file : file.withMode(defaultMode));
    }
    return material.withFiles(explicit);
  }

  /**
   * The modes of {@code files} for a log line: {@code mode 0644 (default)}, {@code mode 0440}, or
   * {@code modes 0400, 0644 (default 0644)}. Modes only: never a path's content.
   */
  public String describe(List<MaterialFile> files) {
    TreeSet<Integer> modes = new TreeSet<>();
    files.forEach(f -> modes.add(f.mode()));
    if (modes.size() == 1) {
      int only = modes.first();
      return "mode " + octal(only) + (only == defaultMode ? " (default)" : "");
    }
    List<String> listed = modes.stream().map(FileModes::octal).toList();
    return "modes " + String.join(", ", listed) + " (default " + octal(defaultMode) + ")";
  }

  /** {@code 0644} for 420. */
  public static String octal(int mode) {
    return mode < 0 ? Integer.toString(mode) : String.format("0%03o", mode);
  }

  @Override
  public String toString() {
    return "FileModes[default=" + octal(defaultMode) + "]";
  }
}
