package dev.passport.host.template;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.passport.api.MaterialFile;
import dev.passport.host.volume.InvalidMaterialException;
import dev.passport.host.volume.MaterialLimits;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The volume attributes {@code templates} and {@code templatesOnly} (issue 23): taken out of a
 * volume's attributes before its backend is prepared, parsed and every template compiled, so a bad
 * template fails the publish with INVALID_ARGUMENT before any backend call.
 *
 * <pre>
 * templates: |
 *   - fileName: app.env
 *     template: "DATABASE_URL=postgres://{{username}}:{{#url}}{{password}}{{/url}}@db:5432/app"
 *     mode: "0440"
 * templatesOnly: "true"
 * </pre>
 *
 * <p>Bounds: the attribute at most {@link #MAX_ATTRIBUTE_CHARS} characters, at most
 * {@link #MAX_TEMPLATES} templates of at most {@link #MAX_TEMPLATE_CHARS} characters each, YAML
 * nested at most {@link #MAX_YAML_DEPTH} deep with at most {@link #MAX_YAML_ALIASES} aliases and
 * no duplicate keys; a {@code fileName} follows the volume's path rules.
 */
public final class TemplateAttributes {

  public static final String TEMPLATES = "templates";
  public static final String TEMPLATES_ONLY = "templatesOnly";

  static final int MAX_ATTRIBUTE_CHARS = 64 * 1024;
  static final int MAX_TEMPLATES = 32;
  static final int MAX_TEMPLATE_CHARS = 16 * 1024;
  static final int MAX_YAML_DEPTH = 4;
  static final int MAX_YAML_ALIASES = 8;

  private static final BoundedYaml YAML =
      new BoundedYaml(MAX_ATTRIBUTE_CHARS, MAX_YAML_ALIASES, MAX_YAML_DEPTH);
  private static final Pattern OCTAL_MODE = Pattern.compile("(?:0[oO]?)?[0-7]{1,3}");
  private static final Set<String> KEYS = Set.of("fileName", "template", "mode");

  /**
   * Compiled templates by their attributes: a republish (every volume, every 60-90 s) finds its
   * templates compiled; bounded by the characters of the attributes it holds.
   */
  private static final Cache<Key, VolumeTemplates> COMPILED = Caffeine.newBuilder()
      .maximumWeight(16L * 1024 * 1024)
      .weigher((Key k, VolumeTemplates v) -> 2 * k.templates().length() + 1024)
      .build();

  private TemplateAttributes() {}

  /** The attributes for the backend, without {@code templates} and {@code templatesOnly}. */
  public record Split(Map<String, String> backendAttributes, VolumeTemplates templates) {}

  private record Key(String templates, String templatesOnly) {}

  /**
   * Takes {@code templates} and {@code templatesOnly} out of {@code attributes} and compiles the
   * templates.
   *
   * @throws TemplateException naming the template (by its fileName or position) and the problem
   */
  public static Split split(Map<String, String> attributes) throws TemplateException {
    String templates = attributes.get(TEMPLATES);
    String only = attributes.get(TEMPLATES_ONLY);
    if (templates == null && only == null) {
      return new Split(attributes, VolumeTemplates.NONE);
    }
    Map<String, String> backend = new HashMap<>(attributes);
    backend.remove(TEMPLATES);
    backend.remove(TEMPLATES_ONLY);
    Key key = new Key(templates == null ? "" : templates, only == null ? "" : only);
    VolumeTemplates compiled = COMPILED.getIfPresent(key);
    if (compiled == null) {
      compiled = compile(key.templates(), key.templatesOnly());
      COMPILED.put(key, compiled);
    }
    return new Split(Map.copyOf(backend), compiled);
  }

  private static VolumeTemplates compile(String templates, String only) throws TemplateException {
    boolean templatesOnly;
    if (only.isEmpty() || only.equals("false")) {
      templatesOnly = false;
    } else if (only.equals("true")) {
      templatesOnly = true;
    } else {
      throw new TemplateException("volume attribute \"" + TEMPLATES_ONLY + "\" is "
          + Quote.of(only) + "; write \"true\" or \"false\"");
    }
    if (templates.isBlank()) {
      if (templatesOnly) {
        throw new TemplateException("volume attribute \"" + TEMPLATES_ONLY + "\" is true but the"
            + " volume has no \"" + TEMPLATES + "\"; add templates or remove " + TEMPLATES_ONLY);
      }
      return VolumeTemplates.NONE;
    }
    if (templates.length() > MAX_ATTRIBUTE_CHARS) {
      throw new TemplateException("volume attribute \"" + TEMPLATES + "\" has " + templates.length()
          + " characters, more than the limit of " + MAX_ATTRIBUTE_CHARS);
    }
    Object loaded = YAML.load(templates, "volume attribute \"" + TEMPLATES + "\"", false);
    if (!(loaded instanceof List<?> list) || list.isEmpty()) {
      throw new TemplateException("volume attribute \"" + TEMPLATES + "\" must be a YAML list of"
          + " {fileName, template, mode?}, e.g. \"- fileName: app.env\\n  template: X={{x}}\"");
    }
    if (list.size() > MAX_TEMPLATES) {
      throw new TemplateException("volume attribute \"" + TEMPLATES + "\" lists " + list.size()
          + " templates, more than the limit of " + MAX_TEMPLATES);
    }
    List<VolumeTemplates.Compiled> compiled = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String position = "templates[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> entry)) {
        throw new TemplateException(position + " must be a map of fileName, template and mode");
      }
      for (Object k : entry.keySet()) {
        if (!KEYS.contains(String.valueOf(k))) {
          throw new TemplateException(position + " has the unknown key "
              + Quote.of(String.valueOf(k)) + "; a template has fileName, template and mode");
        }
      }
      String fileName = string(entry, "fileName", position);
      String what = "template " + Quote.of(fileName);
      requireValidPath(fileName, what);
      if (!names.add(fileName)) {
        throw new TemplateException(position + ": two templates render " + Quote.of(fileName)
            + "; give each its own fileName");
      }
      String source = string(entry, "template", what);
      if (source.length() > MAX_TEMPLATE_CHARS) {
        throw new TemplateException(what + " has " + source.length() + " characters, more than the"
            + " limit of " + MAX_TEMPLATE_CHARS);
      }
      compiled.add(new VolumeTemplates.Compiled(fileName, mode(entry.get("mode"), what), source,
          TemplateCompiler.compile(what, source)));
    }
    requireNoDirectoryClash(names);
    return new VolumeTemplates(compiled, templatesOnly);
  }

  private static String string(Map<?, ?> entry, String key, String where)
      throws TemplateException {
    Object value = entry.get(key);
    if (!(value instanceof String s) || s.isEmpty()) {
      throw new TemplateException(where + " needs " + key + ", a non-empty string");
    }
    return s;
  }

  /**
   * {@code mode} as a quoted or plain octal string ({@code "0440"}, {@code 0440}: the JSON schema
   * reads a leading zero as text). A YAML number is refused: {@code 440} or {@code 288} could mean
   * octal (as pod specs write modes in YAML) or decimal (as they do in JSON), and a wrong guess
   * makes a secret readable by others.
   */
  private static OptionalInt mode(Object value, String what) throws TemplateException {
    if (value == null) {
      return OptionalInt.empty();
    }
    if (value instanceof String s && OCTAL_MODE.matcher(s).matches()) {
      return OptionalInt.of(Integer.parseInt(s.replaceFirst("^0[oO]", ""), 8));
    }
    throw new TemplateException(what + " has mode " + Quote.of(String.valueOf(value))
        + "; write octal permission bits with a leading zero, e.g. mode: \"0440\"");
  }

  /** The volume's path rules ({@link MaterialLimits}), as for any file a backend returns. */
  private static void requireValidPath(String fileName, String what) throws TemplateException {
    try {
      MaterialLimits.defaults().validate(List.of(MaterialFile.of(fileName, new byte[0])));
    } catch (InvalidMaterialException e) {
      throw new TemplateException(what + ": " + e.getMessage());
    }
  }

  private static void requireNoDirectoryClash(Set<String> names) throws TemplateException {
    for (String name : names) {
      for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
        if (names.contains(name.substring(0, slash))) {
          throw new TemplateException("template " + Quote.of(name.substring(0, slash))
              + " renders a file that is the directory of template " + Quote.of(name)
              + "; rename one of them");
        }
      }
    }
  }
}
