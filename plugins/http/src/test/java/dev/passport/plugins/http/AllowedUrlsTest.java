package dev.passport.plugins.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every way a pod-chosen URL has been made to pass a prefix check while the server reads another
 * path or host (path-parameter and encoded dot segments, encoded separators, user info, host and
 * port spellings), and what each gets now: fetched in one spelling, or refused naming the rule.
 */
class AllowedUrlsTest {

  private static final String WHAT = "volume attribute \"url\"";
  private static final List<String> PREFIXES = List.of("https://secrets.example.com/v1/",
      "https://config.example.com/app", "http://127.0.0.1:8200/");

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', textBlock = """
      plain                     | https://secrets.example.com/v1/db            | https://secrets.example.com/v1/db
      query kept as written     | https://secrets.example.com/v1/db?v=2&x=%2e  | https://secrets.example.com/v1/db?v=2&x=%2e
      host case                 | https://SECRETS.Example.COM/v1/db            | https://secrets.example.com/v1/db
      scheme case               | HTTPS://secrets.example.com/v1/db            | https://secrets.example.com/v1/db
      explicit default port     | https://secrets.example.com:443/v1/db        | https://secrets.example.com/v1/db
      empty port                | https://secrets.example.com:/v1/db           | https://secrets.example.com/v1/db
      dot segment resolved      | https://secrets.example.com/v1/a/./b         | https://secrets.example.com/v1/a/b
      dot-dot resolved inside   | https://secrets.example.com/v1/a/../b        | https://secrets.example.com/v1/b
      empty segment collapsed   | https://secrets.example.com/v1//db           | https://secrets.example.com/v1/db
      prefix without slash      | https://config.example.com/app               | https://config.example.com/app
      below it, on a boundary   | https://config.example.com/app/db            | https://config.example.com/app/db
      encoded space             | https://secrets.example.com/v1/db%20backup   | https://secrets.example.com/v1/db%20backup
      encoded UTF-8             | https://secrets.example.com/v1/caf%C3%A9     | https://secrets.example.com/v1/caf%C3%A9
      a ; that is no parameter  | https://secrets.example.com/v1/db;v=2        | https://secrets.example.com/v1/db;v=2
      explicit port            | http://127.0.0.1:8200/x                      | http://127.0.0.1:8200/x
      """)
  void check_urlUnderAPrefix_isFetchedInTheSpellingThatWasChecked(String rule, String url,
      String fetched) throws BackendException {
    HttpUrl checked = allowed().check(url, WHAT);

    assertThat(checked.uri()).hasToString(fetched);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', textBlock = """
      segment boundary            | https://config.example.com/application
      boundary, with a dot        | https://config.example.com/app.json
      sibling of the prefix dir   | https://secrets.example.com/v10/db
      the prefix dir itself       | https://secrets.example.com/v1
      dot-dot resolved outside    | https://secrets.example.com/v1/../admin
      path case                   | https://secrets.example.com/V1/db
      encoded letters             | https://secrets.example.com/%76%31/db
      host suffix                 | https://secrets.example.com.evil.com/v1/db
      other host                  | https://evil.com/v1/db
      query as fake user info     | https://evil.com?@secrets.example.com/v1/
      scheme                      | http://secrets.example.com/v1/db
      port                        | https://secrets.example.com:8443/v1/db
      http port on https          | https://secrets.example.com:80/v1/db
      no explicit port            | http://127.0.0.1/x
      loopback by name            | http://localhost:8200/x
      loopback IPv6               | http://[::1]:8200/x
      loopback as one number      | http://2130706433:8200/x
      """)
  void check_urlOutsideEveryPrefix_isPermissionDeniedNamingTheSetting(String rule, String url) {
    assertRefused(url, Kind.PERMISSION_DENIED, "is not under the http backend's"
        + " allowedUrlPrefixes; use a URL under one of them, or ask the driver's operator");
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', textBlock = """
      Tomcat path parameter     | https://secrets.example.com/v1/..;/admin           | "..;" segment
      path parameter, named     | https://secrets.example.com/v1/..;jsessionid=1/a   | "..;jsessionid=1" segment
      dot with a parameter      | https://secrets.example.com/v1/.;/db               | ".;" segment
      encoded dot-dot           | https://secrets.example.com/v1/%2e%2e/admin        | has %2e in its path
      encoded, upper case       | https://secrets.example.com/v1/%2E%2E/admin        | has %2E in its path
      half encoded              | https://secrets.example.com/v1/.%2e/admin          | has %2e in its path
      double encoded            | https://secrets.example.com/v1/%252e%252e/admin    | has %25 in its path
      encoded slash             | https://secrets.example.com/v1/x%2f..%2f..%2fadmin | has %2f in its path
      encoded slash, upper      | https://secrets.example.com/v1/x%2F..%2Fadmin      | has %2F in its path
      encoded backslash         | https://secrets.example.com/v1/x%5c..%5cadmin      | has %5c in its path
      encoded semicolon         | https://secrets.example.com/v1/..%3b/admin         | has %3b in its path
      encoded question mark     | https://secrets.example.com/v1/..%3f/admin         | has %3f in its path
      encoded hash              | https://secrets.example.com/v1/..%23/admin         | has %23 in its path
      encoded NUL               | https://secrets.example.com/v1/..%00/admin         | has %00 in its path
      raw backslash             | https://secrets.example.com/v1/x\\..\\admin        | is not a valid URL
      climbing above the root   | https://secrets.example.com/../v1/db               | ".." segment
      user info                 | https://secrets.example.com@evil.com/v1/db         | has user info
      user info with password   | https://user:pw@secrets.example.com/v1/db          | has user info
      two @                     | https://a@secrets.example.com@evil.com/v1/db       | has user info
      fragment                  | https://secrets.example.com/v1/db#x                | has a fragment
      empty fragment            | https://secrets.example.com/v1/db#                 | has a fragment
      trailing-dot host         | https://secrets.example.com./v1/db                 | host ending in "."
      non-ASCII host            | https://sëcrets.example.com/v1/db                  | punycode
      non-ASCII path            | https://secrets.example.com/v1/dé                  | percent-encode them
      host with underscore      | https://secrets_example.com/v1/db                  | has no valid host
      IPv4 in short form        | http://127.1:8200/x                                | has no valid host
      no host                   | https:///v1/db                                     | has no host
      no authority              | https:/v1/db                                       | has no host
      port out of range         | https://secrets.example.com:99999/v1/db            | has port 99999
      file scheme               | file:///etc/passwd                                 | starting with https://
      ftp scheme                | ftp://secrets.example.com/v1/db                    | starting with https://
      no scheme                 | secrets.example.com/v1/db                          | starting with https://
      space                     | https://secrets.example.com/v1/a b                 | is not a valid URL
      unclosed IPv6             | http://[::1                                        | is not a valid URL
      """)
  void check_urlOfAnAmbiguousShape_isInvalidNamingWhatToChange(String rule, String url,
      String messagePart) {
    assertRefused(url, Kind.INVALID_ARGUMENT, messagePart);
  }

  @Test
  void check_noPrefixConfigured_refusesEveryUrlTellingTheOperatorsSetting()
      throws BackendException {
    AllowedUrls none = AllowedUrls.of(List.of(), "http.properties: \"allowedUrlPrefixes\"");

    assertThatThrownBy(() -> none.check("https://secrets.example.com/v1/db", WHAT))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED))
        .hasMessageContaining("this driver allows no URL yet: its operator sets"
            + " allowedUrlPrefixes in http.properties");
  }

  @Test
  void check_refusal_namesTheUrlWithoutItsQuery() {
    assertThatThrownBy(() -> allowed().check("https://evil.com/x?token=abc", WHAT))
        .hasMessageContaining(WHAT + " https://evil.com/x is not under")
        .message().doesNotContain("abc");
  }

  @Test
  void check_urlOfAnInvalidShape_doesNotQuoteIt() {
    assertThatThrownBy(() -> allowed().check("https://evil.com/a b?token=abc", WHAT))
        .message().doesNotContain("abc");
  }

  @Test
  void prefixWithoutAPath_coversTheWholeOrigin() throws BackendException {
    AllowedUrls origin = AllowedUrls.of(List.of("https://config.example.com"), "prefixes");

    assertThat(origin.check("https://config.example.com", WHAT).uri())
        .hasToString("https://config.example.com/");
    assertThat(origin.check("https://config.example.com/any/path", WHAT).uri())
        .hasToString("https://config.example.com/any/path");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      https://secrets.example.com/v1/?version=2 | has a query
      https://secrets.example.com/v1/#top       | has a fragment
      https://me@secrets.example.com/v1/        | has user info
      https://secrets.example.com./v1/          | host ending in "."
      https://secrets.example.com/v1/..;/       | "..;" segment
      https://secrets.example.com/%2e%2e/       | has %2e in its path
      secrets.example.com/v1/                   | starting with https://
      """)
  void of_prefixOfAnAmbiguousShape_isInvalidNamingTheEntry(String prefix, String messagePart) {
    assertThatThrownBy(() -> AllowedUrls.of(List.of(prefix),
        "http.properties: \"allowedUrlPrefixes\""))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("http.properties: \"allowedUrlPrefixes\" entry " + prefix)
        .hasMessageContaining(messagePart);
  }

  @Test
  void remoteOrigin_alwaysNamesThePort() throws BackendException {
    assertThat(allowed().check("https://SECRETS.example.com/v1/db", WHAT).origin())
        .isEqualTo("https://secrets.example.com:443");
    assertThat(allowed().check("http://127.0.0.1:8200/x", WHAT).origin())
        .isEqualTo("http://127.0.0.1:8200");
  }

  private static AllowedUrls allowed() throws BackendException {
    return AllowedUrls.of(PREFIXES, "http.properties: \"allowedUrlPrefixes\"");
  }

  private static void assertRefused(String url, Kind kind, String messagePart) {
    assertThatThrownBy(() -> allowed().check(url, WHAT))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).as("kind of: %s", e.getMessage()).isEqualTo(kind))
        .hasMessageContaining(messagePart);
  }
}
