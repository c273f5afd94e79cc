package dev.passport.testkit;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The one check every suite uses to prove no secret leaked (issue 9, R4): no token a test minted
 * may appear in a captured log line, an exception message, or any other text the test collected
 * (a metrics scrape, a pod event, a state file).
 *
 * <p>For a JWT, its signature alone also counts as the secret (a log line that shows the token
 * cut in two still leaks it).
 *
 * <p>A failure says where the secret was (which text, which line, which offset, or which exception
 * in the chain) and shows that line with every secret replaced by {@code <redacted>}: the secret
 * itself never reaches the test report.
 *
 * <pre>{@code
 * LogHygiene.assertNoSecrets(tokens.minted(), logs.lines(), List.of(metricsScrape));
 * LogHygiene.assertNoSecrets(tokens.minted(), thrown);
 * }</pre>
 */
public final class LogHygiene {

  private static final String REDACTED = "<redacted>";
  private static final int MIN_SIGNATURE_LENGTH = 16;

  private LogHygiene() {}

  /**
   * Fails when any of {@code secrets} occurs in any line of {@code texts}. Empty secrets are
   * ignored (they would match everything).
   *
   * @param texts sources to scan, e.g. {@link LogCapture#lines()} and {@code List.of(scrape)};
   *     reported by their position (text #1, #2…)
   * @throws AssertionError naming where the first leaks were found, without the secret
   */
  @SafeVarargs
  public static void assertNoSecrets(Collection<String> secrets, Iterable<String>... texts) {
    List<String> needles = needles(secrets);
    requireNonNull(texts, "texts is null");
    List<String> leaks = new ArrayList<>();
    for (int t = 0; t < texts.length; t++) {
      Iterable<String> text = requireNonNull(texts[t], "text #" + (t + 1) + " is null");
      int lineNumber = 0;
      for (String element : text) {
        if (element == null) {
          lineNumber++;
          continue;
        }
        // a log event with a stack trace, or a whole scrape, spans lines: report the line itself
        for (String line : element.split("\n", -1)) {
          lineNumber++;
          scan(needles, line, "text #" + (t + 1) + " line " + lineNumber, leaks);
        }
      }
    }
    failIfAny(leaks);
  }

  /**
   * Fails when any of {@code secrets} occurs in {@code thrown}, its causes or suppressed exceptions:
   * their messages, {@code toString()}, and for gRPC status exceptions the trailers.
   *
   * @throws AssertionError naming which exception in the chain leaked, without the secret
   */
  public static void assertNoSecrets(Collection<String> secrets, Throwable thrown) {
    List<String> needles = needles(secrets);
    requireNonNull(thrown, "thrown is null");
    List<String> leaks = new ArrayList<>();
    scanThrowable(needles, thrown, "exception", leaks,
        Collections.newSetFromMap(new IdentityHashMap<>()));
    failIfAny(leaks);
  }

  /** {@code text} with every one of {@code secrets} replaced by {@code <redacted>}. */
  public static String redact(Collection<String> secrets, String text) {
    String result = text;
    for (String secret : needles(secrets)) {
      result = result.replace(secret, REDACTED);
    }
    return result;
  }

  private static void scanThrowable(List<String> needles, Throwable thrown, String where,
      List<String> leaks, Set<Throwable> seen) {
    if (!seen.add(thrown)) {
      return;
    }
    String label = where + " (" + thrown.getClass().getName() + ")";
    if (thrown.getMessage() != null) {
      scan(needles, thrown.getMessage(), label + " message", leaks);
    }
    if (thrown.getLocalizedMessage() != null
        && !thrown.getLocalizedMessage().equals(thrown.getMessage())) {
      scan(needles, thrown.getLocalizedMessage(), label + " localized message", leaks);
    }
    String plain = thrown.getClass().getName()
        + (thrown.getLocalizedMessage() == null ? "" : ": " + thrown.getLocalizedMessage());
    if (!plain.equals(String.valueOf(thrown))) {
      scan(needles, String.valueOf(thrown), label + " toString()", leaks);
    }
    Object trailers = trailersOf(thrown);
    if (trailers != null) {
      scan(needles, trailers.toString(), label + " trailers", leaks);
    }
    if (thrown.getCause() != null) {
      scanThrowable(needles, thrown.getCause(), where + " → cause", leaks, seen);
    }
    Throwable[] suppressed = thrown.getSuppressed();
    for (int i = 0; i < suppressed.length; i++) {
      scanThrowable(needles, suppressed[i], where + " → suppressed #" + (i + 1), leaks, seen);
    }
  }

  /**
   * gRPC's {@code StatusException} and {@code StatusRuntimeException} carry trailers, which a
   * server may fill with anything. Found by method, so that the testkit needs no gRPC of its own.
   */
  private static Object trailersOf(Throwable thrown) {
    try {
      return thrown.getClass().getMethod("getTrailers").invoke(thrown);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  private static void scan(List<String> needles, String haystack, String where,
      List<String> leaks) {
    for (int i = 0; i < needles.size(); i++) {
      int offset = haystack.indexOf(needles.get(i));
      if (offset >= 0) {
        leaks.add("secret #" + (i + 1) + " (" + needles.get(i).length() + " chars) in " + where
            + " at offset " + offset + ": " + redactAll(needles, haystack));
        return;
      }
    }
  }

  private static String redactAll(List<String> needles, String text) {
    String result = text;
    for (String needle : needles) {
      result = result.replace(needle, REDACTED);
    }
    return result.length() > 2000 ? result.substring(0, 2000) + "…" : result;
  }

  private static void failIfAny(List<String> leaks) {
    if (leaks.isEmpty()) {
      return;
    }
    StringBuilder message = new StringBuilder()
        .append(leaks.size()).append(" secret leak(s) found:");
    for (String leak : leaks.subList(0, Math.min(leaks.size(), 20))) {
      message.append(System.lineSeparator()).append("  - ").append(leak);
    }
    if (leaks.size() > 20) {
      message.append(System.lineSeparator()).append("  … and ").append(leaks.size() - 20)
          .append(" more");
    }
    throw new AssertionError(message.toString());
  }

  /**
   * The strings to look for, longest first so a redaction never leaves part of a longer secret.
   * For a JWT its signature counts too: the signature alone is what makes a logged token prefix or
   * a "header.payload" harmless, and a logged signature a leak.
   */
  private static List<String> needles(Collection<String> secrets) {
    requireNonNull(secrets, "secrets is null");
    List<String> needles = new ArrayList<>();
    for (String secret : secrets) {
      if (secret != null && !secret.isEmpty()) {
        needles.add(secret);
        String[] jwt = secret.split("\\.", -1);
        if (jwt.length == 3 && jwt[2].length() >= MIN_SIGNATURE_LENGTH) {
          needles.add(jwt[2]);
        }
      }
    }
    needles.sort((a, b) -> Integer.compare(b.length(), a.length()));
    return needles;
  }
}
