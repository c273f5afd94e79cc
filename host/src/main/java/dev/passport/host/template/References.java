package dev.passport.host.template;

import com.samskivert.mustache.Mustache;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The root of every template's data, and the one place a name is resolved (jmustache asks it for
 * the whole name, so it never splits a name at its dots). The syntax:
 *
 * <ul>
 *   <li>{@code PATH}: the whole file the backend returned at {@code PATH} ({@code objectName},
 *       {@code fileName} or alias, as the backend names its files), as UTF-8 text. Dots, dashes
 *       and slashes are part of the path: {@code {{tls.crt}}}, {@code {{db/password}}}.
 *   <li>{@code PATH//POINTER}: a value inside the JSON or YAML file {@code PATH}; {@code POINTER}
 *       is a JSON Pointer (RFC 6901) without its leading {@code /}: keys separated by {@code /},
 *       list elements by index, {@code ~1} for a {@code /} and {@code ~0} for a {@code ~} in a key.
 *       No file path contains {@code //} (the volume's path rules refuse empty segments), so the
 *       split at the first {@code //} never mistakes a file name for a key, whatever dots or
 *       dashes either holds: {@code {{creds.json//data/db.user}}}. {@code PATH//} alone is the
 *       whole document (a top-level list to iterate); an empty key cannot be referenced.
 *   <li>{@code pod.namespace}, {@code pod.name}, {@code pod.serviceAccount}: from the request's
 *       pod info (kubelet's {@code csi.storage.k8s.io/*} keys).
 *   <li>{@code json}, {@code url}, {@code shell}, {@code base64}: the escaping {@link Helpers}.
 * </ul>
 *
 * <p>A file whose path is one of the built-in names cannot be referenced by it: the reference is
 * refused as ambiguous (never silently the one or the other), and the error says to rename the
 * file. Inside a section over an object or list element, the element's keys come first, as
 * Mustache scopes them. Every lookup takes a {@link Steps step}.
 */
final class References implements Mustache.CustomContext {

  /** The largest file a key reference parses: a secret document, not a data set. */
  static final int MAX_DOCUMENT_BYTES = 1 << 20;
  static final int MAX_DOCUMENT_DEPTH = 64;
  static final int MAX_DOCUMENT_ALIASES = 16;

  private static final BoundedYaml DOCUMENTS =
      new BoundedYaml(MAX_DOCUMENT_BYTES, MAX_DOCUMENT_ALIASES, MAX_DOCUMENT_DEPTH);

  private final Map<String, MaterialFile> files = new LinkedHashMap<>();
  private final Map<String, Object> builtins = new HashMap<>();
  private final Map<String, String> texts = new HashMap<>();
  private final Map<String, Object> documents = new HashMap<>();
  private final Steps steps;
  private String template = "";

  References(Iterable<MaterialFile> raw, Pod pod, Steps steps) {
    for (MaterialFile file : raw) {
      files.put(file.path(), file);
    }
    builtins.put("pod.namespace", pod.namespace());
    builtins.put("pod.name", pod.name());
    builtins.put("pod.serviceAccount", pod.serviceAccount());
    builtins.putAll(Helpers.ALL);
    this.steps = steps;
  }

  /** The template being rendered, for the errors. */
  void rendering(String fileName) {
    this.template = fileName;
  }

  @Override
  public Object get(String name) {
    steps.take();
    Object builtin = builtins.get(name);
    if (builtin != null) {
      if (files.containsKey(name)) {
        throw new RenderFailure("the reference " + Quote.of(name) + " is ambiguous: the backend"
            + " returned a file of that name, and it is also a built-in name (pod.namespace,"
            + " pod.name, pod.serviceAccount, json, url, shell, base64); give the file another"
            + " name (objectName, fileName or alias) and refer to that");
      }
      return builtin;
    }
    int split = name.indexOf("//");
    if (split >= 0) {
      return key(name, name.substring(0, split), name.substring(split + 2));
    }
    MaterialFile file = files.get(name);
    if (file == null) {
      throw new RenderFailure("the reference " + Quote.of(name) + " is not a file the backend"
          + " returned (its files: " + names() + ") nor a key of an enclosing section; correct"
          + " the reference, or the volume's objectName, fileName or alias");
    }
    return text(file);
  }

  private Object key(String name, String path, String pointer) {
    MaterialFile file = files.get(path);
    if (file == null) {
      throw new RenderFailure("the reference " + Quote.of(name) + " reads a key of file "
          + Quote.of(path) + ", which the backend did not return (its files: " + names() + ")");
    }
    Object value = document(file);
    if (pointer.isEmpty()) {
      return value; // PATH// is the whole document: a top-level list to iterate
    }
    for (String token : pointer.split("/", -1)) {
      String key = token.replace("~1", "/").replace("~0", "~");
      if (value instanceof Values.Obj obj) {
        value = obj.getOrNull(key);
      } else if (value instanceof Values.Arr arr && key.matches("0|[1-9][0-9]{0,8}")) {
        value = arr.getOrNull(Integer.parseInt(key));
      } else {
        value = null;
      }
      if (value == null) {
        throw new RenderFailure("the reference " + Quote.of(name) + ": file " + Quote.of(path)
            + " has no key " + Quote.of(pointer) + " (or it is null); correct the reference, or"
            + " the secret");
      }
    }
    return value;
  }

  private Object document(MaterialFile file) {
    Object known = documents.get(file.path());
    if (known != null) {
      return known;
    }
    if (file.size() > MAX_DOCUMENT_BYTES) {
      throw new RenderFailure("file " + Quote.of(file.path()) + " is " + file.size()
          + " bytes; a key reference (FILE//KEY) reads files of at most " + MAX_DOCUMENT_BYTES
          + " bytes");
    }
    Object loaded;
    try {
      loaded = DOCUMENTS.load(text(file), "file " + Quote.of(file.path()), true);
    } catch (TemplateException e) {
      throw new RenderFailure(e.getMessage() + "; a key reference (FILE//KEY) reads JSON or YAML");
    }
    Object value = Values.of(loaded, steps);
    documents.put(file.path(), value);
    return value;
  }

  private String text(MaterialFile file) {
    String known = texts.get(file.path());
    if (known != null) {
      return known;
    }
    try {
      ByteBuffer bytes = file.contentBuffer();
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes);
      String text = chars.toString();
      texts.put(file.path(), text);
      return text;
    } catch (CharacterCodingException e) {
      throw new RenderFailure("file " + Quote.of(file.path()) + " is not UTF-8 text; a template"
          + " reads text files only (keep binary files as files of their own)");
    }
  }

  private String names() {
    TreeSet<String> names = new TreeSet<>(files.keySet());
    String shown = names.toString();
    return shown.length() > 300 ? shown.substring(0, 300) + "...]" : shown;
  }

  /** Never the files: jmustache formats the root if a template prints {@code {{.}}} at the top. */
  @Override
  public String toString() {
    return "references";
  }
}
