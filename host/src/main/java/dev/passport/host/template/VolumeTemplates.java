package dev.passport.host.template;

import static java.util.Objects.requireNonNull;

import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import dev.passport.api.ByteBudget;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.host.volume.FieldHash;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * A volume's templates (issue 23), parsed and compiled: the files the host renders from the files
 * the backend returned, after the fetch and before the write, so raw and rendered files change
 * together in one {@code ..data} swap. Immutable and shared by every publish of the volume.
 */
public final class VolumeTemplates {

  /** No templates: the volume holds what the backend returned. */
  public static final VolumeTemplates NONE = new VolumeTemplates(List.of(), false);

  /**
   * Lookups and loop iterations one volume's render may take: a config file needs a few dozen; a
   * list of a thousand users in a section of two references, a few thousand.
   */
  static final int MAX_STEPS = 100_000;

  /** One compiled template. */
  record Compiled(String fileName, OptionalInt mode, String source, Template template) {}

  private final List<Compiled> templates;
  private final boolean templatesOnly;
  private final String fingerprint;

  VolumeTemplates(List<Compiled> templates, boolean templatesOnly) {
    this.templates = List.copyOf(templates);
    this.templatesOnly = templatesOnly;
    this.fingerprint = fingerprintOf(this.templates, templatesOnly);
  }

  public boolean isEmpty() {
    return templates.isEmpty();
  }

  /** {@code templatesOnly: true}: the volume holds the rendered files only. */
  public boolean templatesOnly() {
    return templatesOnly;
  }

  /** The names of the rendered files. */
  public Set<String> fileNames() {
    Set<String> names = new TreeSet<>();
    templates.forEach(t -> names.add(t.fileName()));
    return names;
  }

  /**
   * A SHA-256 over every template's name, mode and text and the {@code templatesOnly} flag: part
   * of the volume's cache key, so a changed template is a changed volume (the same material is
   * rendered anew), while an unchanged one keeps "nothing due: no backend call, no render".
   */
  public String fingerprint() {
    return fingerprint;
  }

  /**
   * What the backend returned, from what a volume holds (a read-back after a restart): the volume
   * without the rendered files; empty with {@code templatesOnly}, whose volume holds none of the
   * backend's files (the next fetch then has no previous material, as a first one).
   */
  public Optional<List<MaterialFile>> backendFiles(List<MaterialFile> volume) {
    if (templatesOnly) {
      return Optional.empty();
    }
    Set<String> rendered = fileNames();
    return Optional.of(volume.stream().filter(f -> !rendered.contains(f.path())).toList());
  }

  /**
   * The volume's files: the backend's (unless {@code templatesOnly}) and the rendered ones, every
   * other field of {@code raw} kept. A rendered file without a {@code mode} is left without one,
   * so the host's default file mode applies as for any file.
   *
   * @param limits the volume's limits: rendered bytes count with the backend's files against them
   * @param budget charged with the rendered bytes as they are made
   * @throws TemplateException naming the template and the reference, never content
   */
  public Material render(Material raw, Pod pod, Limits limits, ByteBudget budget)
      throws TemplateException {
    requireNonNull(raw, "raw is null");
    if (templates.isEmpty()) {
      return raw;
    }
    requireNoClash(raw);
    int files = (templatesOnly ? 0 : raw.files().size()) + templates.size();
    if (files > limits.maxFiles()) {
      throw new TemplateException("the backend returned " + raw.files().size() + " files and "
          + templates.size() + " templates render more, " + files + " in all: more than the"
          + " limit of " + limits.maxFiles() + " files per volume");
    }
    // The backend's files count even with templatesOnly: the host holds them while it renders.
    long room = limits.maxTotalBytes() - raw.size();
    Steps steps = new Steps(MAX_STEPS);
    References references = new References(raw.files(), pod, steps);
    List<MaterialFile> out = new ArrayList<>(files);
    if (!templatesOnly) {
      out.addAll(raw.files());
    }
    for (Compiled t : templates) {
      String what = "template " + Quote.of(t.fileName());
      long limit = Math.min(limits.maxFileBytes(), room);
      BoundedOutput output = new BoundedOutput(Math.max(0, limit), "the limit is "
          + limits.maxFileBytes() + " bytes per file and " + limits.maxTotalBytes() + " bytes per"
          + " volume, of which the backend's files and the templates before it take "
          + (limits.maxTotalBytes() - room), budget);
      references.rendering(t.fileName());
      byte[] bytes;
      try {
        t.template().execute(references, output);
        bytes = output.utf8();
      } catch (RenderFailure e) {
        throw new TemplateException(what + ": " + e.getMessage(), e.retryable());
      } catch (MustacheException e) {
        throw failure(what, RenderFailure.in(e), e);
      } catch (StackOverflowError e) {
        // Defence in depth: the compile-time nesting bound keeps execution far from this.
        throw new TemplateException(what + " nests too deeply to render");
      }
      room -= bytes.length;
      out.add(t.mode().isPresent() ? MaterialFile.of(t.fileName(), bytes, t.mode().getAsInt())
          : MaterialFile.of(t.fileName(), bytes));
    }
    return raw.withFiles(out);
  }

  private static TemplateException failure(String what, RenderFailure cause, MustacheException e) {
    if (cause != null) {
      return new TemplateException(what + ": " + cause.getMessage(), cause.retryable());
    }
    // jmustache's own words name the tag and line ("No method or field with name 'x' on line 2");
    // they never hold data, only the template's text.
    return new TemplateException(what + ": " + e.getMessage());
  }

  /** A rendered file may not take the place of a file the backend returned (or its directory). */
  private void requireNoClash(Material raw) throws TemplateException {
    for (Compiled t : templates) {
      String name = t.fileName();
      for (MaterialFile file : raw.files()) {
        String path = file.path();
        if (path.equals(name) || path.startsWith(name + "/") || name.startsWith(path + "/")) {
          throw new TemplateException("template " + Quote.of(name) + " would render a file where"
              + " the backend returned " + Quote.of(path) + "; give the template another fileName"
              + " (or the backend's file another objectName, fileName or alias)");
        }
      }
    }
  }

  private static String fingerprintOf(List<Compiled> templates, boolean templatesOnly) {
    FieldHash hash = FieldHash.sha256().flag(templatesOnly);
    for (Compiled t : templates) {
      hash.field(t.fileName())
          .field(t.mode().isPresent() ? Integer.toOctalString(t.mode().getAsInt()) : "")
          .field(t.source());
    }
    return hash.hex16();
  }

  /**
   * The volume's limits ({@code MaterialLimits}): rendered files count against them together with
   * the backend's files.
   */
  public record Limits(int maxFiles, long maxFileBytes, long maxTotalBytes) {}
}
