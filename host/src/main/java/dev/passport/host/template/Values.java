package dev.passport.host.template;

import com.samskivert.mustache.Template;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The only values a template sees: strings, booleans, and these objects and lists read from a
 * JSON or YAML file. They are the host's own final classes with no accessor a template could
 * name: the collector resolves keys of an {@link Obj} and nothing else, so no method, field or
 * class of any value is ever reachable.
 */
final class Values {
  private Values() {}

  /** A JSON/YAML object: its keys, exactly as written (dots and dashes included). */
  static final class Obj {
    private final Map<String, Object> entries;
    private final Steps steps;

    Obj(Map<String, Object> entries, Steps steps) {
      this.entries = entries;
      this.steps = steps;
    }

    /** The value of {@code key}, or jmustache's "not here, ask the enclosing section". */
    Object get(String key) {
      steps.take();
      Object value = entries.get(key);
      return value == null ? Template.NO_FETCHER_FOUND : value;
    }

    Object getOrNull(String key) {
      steps.take();
      return entries.get(key);
    }

    /** Never the entries: a map as a variable is refused by the formatter. */
    @Override
    public String toString() {
      return "object";
    }
  }

  /** A JSON/YAML list; iterating it takes a step per element. */
  static final class Arr {
    private final List<Object> elements;
    private final Steps steps;

    Arr(List<Object> elements, Steps steps) {
      this.elements = elements;
      this.steps = steps;
    }

    Object getOrNull(int index) {
      steps.take();
      return index >= 0 && index < elements.size() ? elements.get(index) : null;
    }

    Iterator<Object> iterator() {
      Iterator<Object> inner = elements.iterator();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return inner.hasNext();
        }

        @Override
        public Object next() {
          steps.take();
          return inner.next();
        }
      };
    }

    @Override
    public String toString() {
      return "list";
    }
  }

  /**
   * A loaded YAML value as template values: maps and lists become {@link Obj} and {@link Arr},
   * numbers their decimal text, booleans stay booleans (a section on {@code false} is skipped);
   * a null member is absent (a reference to it is a missing key), a null element is empty text.
   *
   * @throws RenderFailure for anything else (a {@code !!binary} scalar, a set)
   */
  static Object of(Object loaded, Steps steps) {
    if (loaded instanceof String || loaded instanceof Boolean) {
      return loaded;
    }
    if (loaded instanceof Number number) {
      return number.toString();
    }
    if (loaded instanceof Map<?, ?> map) {
      Map<String, Object> entries = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        steps.take();
        if (e.getValue() != null) {
          entries.put(String.valueOf(e.getKey()), of(e.getValue(), steps));
        }
      }
      return new Obj(entries, steps);
    }
    if (loaded instanceof List<?> list) {
      List<Object> elements = new java.util.ArrayList<>(list.size());
      for (Object element : list) {
        steps.take();
        elements.add(element == null ? "" : of(element, steps));
      }
      return new Arr(elements, steps);
    }
    throw new RenderFailure("the file holds a YAML value of a kind templates do not read ("
        + (loaded == null ? "null" : loaded.getClass().getSimpleName()) + ")");
  }
}
