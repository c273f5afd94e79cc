package dev.passport.host.template;

import com.samskivert.mustache.Mustache;

/**
 * How values become text. A string is itself, a boolean {@code true}/{@code false}, a loop's
 * {@code -index} its number. A map, a list or a helper is not text: it becomes {@link NotAValue},
 * which jmustache may test for emptiness (a section on a map renders once) but which refuses to
 * be written (as {@code {{map}}} would), naming what it is.
 */
final class Formatting implements Mustache.Formatter {

  @Override
  public CharSequence format(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Boolean || value instanceof Integer) {
      return String.valueOf(value);
    }
    return new NotAValue(value instanceof Values.Obj ? "a JSON/YAML object"
        : value instanceof Values.Arr ? "a JSON/YAML list"
        : value instanceof Mustache.Lambda ? "an escaping helper" : "not text");
  }

  /** What a template may test but not print. */
  static final class NotAValue implements CharSequence {
    private final String what;

    NotAValue(String what) {
      this.what = what;
    }

    @Override
    public int length() {
      return 1;
    }

    @Override
    public char charAt(int index) {
      throw refused();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      throw refused();
    }

    @Override
    public String toString() {
      throw refused();
    }

    private RenderFailure refused() {
      return new RenderFailure("a variable refers to " + what + ", which is not text; refer to one"
          + " of its keys (FILE//KEY), iterate it with a section, or use a helper as a section"
          + " ({{#json}}...{{/json}})");
    }
  }
}
