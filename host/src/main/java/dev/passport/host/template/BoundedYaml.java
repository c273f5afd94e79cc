package dev.passport.host.template;

import java.util.Optional;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.JsonSchema;

/**
 * YAML (and so JSON, which YAML 1.2 reads) from a pod author or a pod-chosen server, read within
 * bounds. snakeyaml-engine builds only maps, lists and scalars (no Java objects), refuses duplicate
 * keys and recursive keys here, and counts aliases; what it does not bound is nesting, and its
 * composer recurses once per level, so a document is first walked as events (its parser is a
 * state machine with a stack of its own) and refused past {@code maxDepth} before it is composed.
 */
final class BoundedYaml {

  private final LoadSettings settings;
  private final int maxDepth;

  /**
   * @param maxChars the most characters a document may have (snakeyaml-engine's code point limit)
   * @param maxAliases the most aliases to collections (a "billion laughs" document needs many)
   * @param maxDepth the deepest nesting of maps and lists
   */
  BoundedYaml(int maxChars, int maxAliases, int maxDepth) {
    this.settings = LoadSettings.builder()
        .setAllowDuplicateKeys(false)
        .setAllowRecursiveKeys(false)
        .setMaxAliasesForCollections(maxAliases)
        .setCodePointLimit(maxChars)
        .setUseMarks(true)
        // The JSON schema: "0440" and "yes" stay strings, only JSON's true/false/null/numbers are
        // anything else (the 1.1 surprises, octal and sexagesimal, never happen).
        .setSchema(new JsonSchema())
        .build();
    this.maxDepth = maxDepth;
  }

  /**
   * The document in {@code text}: a map, list, string, number, boolean or null.
   *
   * @param what names the document in the error, e.g. {@code volume attribute "templates"}
   * @param secret whether the text is secret (a fetched file): then the error names only the
   *     line, never the parser's words, which may quote a key or a value
   * @throws TemplateException naming {@code what} and the problem (never the content)
   */
  Object load(String text, String what, boolean secret) throws TemplateException {
    try {
      int depth = 0;
      int documents = 0;
      for (Event event : new Parse(settings).parseString(text)) {
        switch (event.getEventId()) {
          case MappingStart, SequenceStart -> {
            if (++depth > maxDepth) {
              throw new TemplateException(what + " nests maps and lists more than " + maxDepth
                  + " levels deep" + line(event));
            }
          }
          case MappingEnd, SequenceEnd -> depth--;
          case DocumentStart -> {
            if (++documents > 1) {
              throw new TemplateException(what + " holds more than one YAML document" + line(event));
            }
          }
          default -> { }
        }
      }
      return new Load(settings).loadFromString(text);
    } catch (MarkedYamlEngineException e) {
      String where = e.getProblemMark().map(m -> " at line " + (m.getLine() + 1)).orElse("");
      throw new TemplateException(what + " is not valid YAML or JSON" + where
          + (secret ? "" : ": " + shortened(e.getProblem())));
    } catch (YamlEngineException e) {
      throw new TemplateException(what + " is not valid YAML or JSON"
          + (secret ? "" : ": " + firstLine(e.getMessage())));
    } catch (RuntimeException e) {
      // snakeyaml-engine may fail with an unchecked exception of its own on hostile input; the
      // message may quote the input, which may be secret, so only its kind is shown.
      throw new TemplateException(what + " is not valid YAML or JSON ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  private static String line(Event event) {
    Optional<Integer> line = event.getStartMark().map(m -> m.getLine() + 1);
    return line.map(l -> " (line " + l + ")").orElse("");
  }

  /**
   * snakeyaml-engine's first line says what and where ("found duplicate key x", "expected ','")
   * without the snippet of input the following lines show.
   */
  private static String shortened(String problem) {
    return problem == null ? "unreadable" : firstLine(problem);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    String first = newline < 0 ? message : message.substring(0, newline);
    return first.length() > 200 ? first.substring(0, 200) + "..." : first;
  }
}
