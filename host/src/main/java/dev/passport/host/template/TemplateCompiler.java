package dev.passport.host.template;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles one template with jmustache, locked down for templates written by pod authors:
 *
 * <ul>
 *   <li>Data is plain: the collector resolves keys of the host's own {@link References} and
 *       {@link Values.Obj} and iterates only {@link Values.Arr}; jmustache's default collector,
 *       which calls methods and reads fields of any object ({@code {{password.bytes}}},
 *       {@code {{password.class.name}}}), is never installed.
 *   <li>No includes: partials ({@code {{> x}}}) and template inheritance ({@code {{< x}}},
 *       {@code {{$ x}}}) are refused when the template is compiled, and the loader refuses too.
 *   <li>No lambdas but the escaping {@link Helpers}; no HTML escaping (these are config files).
 *   <li>No set-delimiter tags: the nesting bound is counted by a scan that mirrors jmustache's
 *       tag grammar for the standard delimiters, and with other delimiters it would not.
 *   <li>Sections nest at most {@link #MAX_DEPTH} deep (execution recurses once per level).
 * </ul>
 */
final class TemplateCompiler {

  static final int MAX_DEPTH = 8;

  private static final Mustache.Compiler COMPILER = Mustache.compiler()
      .escapeHTML(false)
      // Non-standards mode: a name inside a section may be a file or pod field (parent lookup).
      // Its other extension, compound keys split at dots, never runs: References answers every
      // whole name (or fails), so nothing is left over to split.
      .standardsMode(false)
      .strictSections(true)
      .emptyStringIsFalse(true)
      .withFormatter(new Formatting())
      .withCollector(new PlainCollector())
      .withLoader(name -> {
        throw new RenderFailure("the template includes " + Quote.of(name)
            + "; templates cannot include other templates");
      });

  private TemplateCompiler() {}

  /**
   * @param what names the template in errors, e.g. {@code template "app.env"}
   * @throws TemplateException naming the template, the problem and its line
   */
  static Template compile(String what, String source) throws TemplateException {
    scan(what, source);
    Template template;
    try {
      template = COMPILER.compile(source);
    } catch (MustacheException | RenderFailure e) {
      throw new TemplateException(what + " is not a valid Mustache template: " + e.getMessage());
    }
    // jmustache's own view of the template, after the scan's: nothing may load another template.
    template.visit(new Mustache.Visitor() {
      @Override public void visitText(String text) { }
      @Override public void visitVariable(String name) { }
      @Override public boolean visitInclude(String name) {
        throw refused(what, "a partial {{> " + name + "}}");
      }
      @Override public boolean visitParent(String name) {
        throw refused(what, "a parent {{< " + name + "}}");
      }
      @Override public boolean visitBlock(String name) {
        throw refused(what, "a block {{$ " + name + "}}");
      }
      @Override public boolean visitSection(String name) {
        return true;
      }
      @Override public boolean visitInvertedSection(String name) {
        return true;
      }
    });
    return template;
  }

  private static RenderFailure refused(String what, String tag) {
    return new RenderFailure(what + " holds " + tag + "; templates cannot include other templates");
  }

  /**
   * Walks the tags as jmustache's parser finds them with the standard delimiters ({@code {{ }}},
   * {@code {{{ }}}}), refusing the tags templates may not use and counting section depth.
   */
  private static void scan(String what, String source) throws TemplateException {
    Deque<String> open = new ArrayDeque<>();
    int line = 1;
    int i = 0;
    while (i < source.length()) {
      char c = source.charAt(i);
      if (c == '\n') {
        line++;
      }
      if (c != '{' || i + 1 >= source.length() || source.charAt(i + 1) != '{') {
        i++;
        continue;
      }
      int start = i + 2;
      boolean triple = start < source.length() && source.charAt(start) == '{';
      int end = source.indexOf(triple ? "}}}" : "}}", start);
      if (end < 0) {
        return; // jmustache keeps an unclosed tag as text
      }
      String tag = source.substring(start + (triple ? 1 : 0), end).trim();
      int nested = tag.indexOf("{{");
      if (nested >= 0 && !tag.startsWith("!")) {
        // "{{a {{b}}": jmustache restarts the tag at the inner "{{"
        i = start + (triple ? 1 : 0) + source.substring(start + (triple ? 1 : 0)).indexOf("{{");
        continue;
      }
      if (!tag.isEmpty()) {
        String name = tag.substring(1).trim();
        switch (tag.charAt(0)) {
          case '=' -> throw new TemplateException(what + " changes the delimiters (line " + line
              + "); templates use {{ }} only");
          case '>' -> throw new TemplateException(what + " includes a partial {{> " + name
              + "}} (line " + line + "); templates cannot include other templates");
          case '<', '$' -> throw new TemplateException(what + " uses template inheritance {{"
              + tag.charAt(0) + name + "}} (line " + line + "); templates cannot include other"
              + " templates");
          case '#', '^' -> {
            open.push(name);
            if (open.size() > MAX_DEPTH) {
              throw new TemplateException(what + " nests sections more than " + MAX_DEPTH
                  + " deep (line " + line + ")");
            }
          }
          case '/' -> open.poll();
          default -> { }
        }
      }
      for (int j = i; j < end; j++) {
        if (source.charAt(j) == '\n') {
          line++;
        }
      }
      i = end + (triple ? 3 : 2);
    }
  }

  /** Keys of the host's own values only; see the class comment. */
  private static final class PlainCollector implements Mustache.Collector {
    private static final Mustache.VariableFetcher ROOT =
        (ctx, name) -> ((References) ctx).get(name);
    private static final Mustache.VariableFetcher OBJECT =
        (ctx, name) -> ((Values.Obj) ctx).get(name);

    @Override
    public Iterator<?> toIterator(Object value) {
      return value instanceof Values.Arr list ? list.iterator() : null;
    }

    @Override
    public Mustache.VariableFetcher createFetcher(Object ctx, String name) {
      if (ctx instanceof References) {
        return ROOT;
      }
      if (ctx instanceof Values.Obj) {
        return OBJECT;
      }
      return null;
    }

    @Override
    public <K, V> Map<K, V> createFetcherCache() {
      // A compiled template is shared by every publish of its volume, on any thread.
      return new ConcurrentHashMap<>();
    }
  }
}
