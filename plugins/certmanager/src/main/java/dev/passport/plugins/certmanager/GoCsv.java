package dev.passport.plugins.certmanager;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * One line of CSV read as csi-driver reads its subject lists: cert-manager's
 * {@code SplitWithEscapeCSV}, Go's {@code encoding/csv} reader with its defaults (comma, {@code "}
 * quotes with {@code ""} for a quote inside, spaces kept, no lazy quotes, empty lines skipped), of
 * which exactly one record must come out.
 */
final class GoCsv {

  /**
   * Go's defaults in commons-csv terms: no escape character, surrounding spaces kept, empty lines
   * skipped. commons-csv is more lenient than Go in one place only, a {@code "} inside an unquoted
   * value (Go's {@code ErrBareQuote}), which {@link #bareQuote} refuses first.
   */
  private static final CSVFormat GO = CSVFormat.Builder.create()
      .setDelimiter(',')
      .setQuote('"')
      .setEscape((Character) null)
      .setIgnoreSurroundingSpaces(false)
      .setTrim(false)
      .setIgnoreEmptyLines(true)
      .get();

  private GoCsv() {}

  /**
   * The values of {@code line}.
   *
   * @throws IllegalArgumentException saying what to change, when Go's reader refuses the line or
   *     it holds no record or more than one
   */
  static List<String> values(String line) {
    bareQuote(line);
    List<CSVRecord> records;
    try (CSVParser parser = CSVParser.parse(new StringReader(line), GO)) {
      records = parser.getRecords();
    } catch (IOException | UncheckedIOException e) {
      throw new IllegalArgumentException("not valid CSV: a quoted value must end with \" followed"
          + " by a comma or the end (write a \" inside a quoted value as \"\")");
    }
    if (records.isEmpty()) {
      throw new IllegalArgumentException("no values in it");
    }
    if (records.size() > 1) {
      throw new IllegalArgumentException("parses as " + records.size() + " lines of CSV; quote a"
          + " value that holds a line break");
    }
    return List.copyOf(new ArrayList<>(records.get(0).toList()));
  }

  /** Go's ErrBareQuote: a {@code "} in a value that does not start with one. */
  private static void bareQuote(String line) {
    boolean quoted = false;
    boolean fieldStart = true;
    boolean inUnquoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            i++;
          } else {
            quoted = false;
          }
        }
        continue;
      }
      if (c == ',' || c == '\n' || c == '\r') {
        fieldStart = true;
        inUnquoted = false;
        continue;
      }
      if (fieldStart) {
        fieldStart = false;
        if (c == '"') {
          quoted = true;
        } else {
          inUnquoted = true;
        }
        continue;
      }
      if (c == '"' && inUnquoted) {
        throw new IllegalArgumentException("not valid CSV: a \" inside a value that does not start"
            + " with one (column " + (i + 1) + "); quote the whole value and double the \": "
            + "\"a \"\"b\"\" c\"");
      }
    }
  }
}
