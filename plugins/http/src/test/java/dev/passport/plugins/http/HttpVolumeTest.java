package dev.passport.plugins.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.BackendFactory;
import dev.passport.testkit.TestBackendContext;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Configuration and volume attributes, checked through the factory and prepare. */
class HttpVolumeTest {

  private static final String PREFIX = "https://secrets.example.com/v1";

  private final TestBackendContext context = TestBackendContext.create();

  @AfterEach
  void closeContext() {
    context.close();
  }

  @Test
  void serviceLoader_findsTheFactoryNamedHttp() {
    assertThat(ServiceLoader.load(BackendFactory.class).stream().map(p -> p.get().name()))
        .contains("http");
  }

  @Test
  void prepare_noAudienceAttribute_isHttp() throws BackendException {
    assertThat(backend(PREFIX).prepare(Map.of("url", PREFIX + "/db")).audiences())
        .containsExactly("http");
  }

  @Test
  void prepare_audienceAttribute_isThatAudience() throws BackendException {
    assertThat(backend(PREFIX).prepare(Map.of("url", PREFIX + "/db", "audience", "secrets"))
        .audiences()).containsExactly("secrets");
  }

  @Test
  void prepare_emptyAudience_isRefusedBecauseTheApiServerAudienceMustNotLeave() {
    assertInvalid(attributes("audience", ""), "\"audience\" must not be empty");
  }

  @Test
  void prepare_unknownAttribute_isInvalidNamingIt() {
    assertInvalid(attributes("jsonkeys", "a"), "unknown volume attribute \"jsonkeys\"");
  }

  @Test
  void prepare_noUrl_isInvalidNamingTheAttribute() {
    assertInvalid(Map.of("audience", "secrets"), "volume attribute \"url\" is required");
  }

  @Test
  void prepare_urlOfAnAmbiguousShape_isInvalidNamingTheAttribute() {
    // every shape: AllowedUrlsTest
    assertInvalid(Map.of("url", PREFIX + "/..;/admin"),
        "volume attribute \"url\" has a \"..;\" segment");
  }

  @Test
  void prepare_urlOutsideTheAllowedPrefixes_isPermissionDeniedNamingTheSetting() {
    assertThatThrownBy(() -> backend(PREFIX).prepare(Map.of("url", "https://evil.com/v1/db")))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED))
        .hasMessageContaining("volume attribute \"url\" https://evil.com/v1/db is not under the"
            + " http backend's allowedUrlPrefixes");
  }

  @Test
  void prepare_noPrefixConfigured_refusesEveryUrlNamingTheSetting() {
    assertThatThrownBy(() -> backend(null).prepare(Map.of("url", PREFIX + "/db")))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED))
        .hasMessageContaining("its operator sets allowedUrlPrefixes in http.properties");
  }

  @Test
  void prepare_remote_isTheOriginOfTheUrl() throws BackendException {
    assertThat(backend(PREFIX).prepare(Map.of("url", "https://SECRETS.example.com/v1/db?v=1"))
        .remote()).contains("https://secrets.example.com:443");
  }

  @Test
  void prepare_fileAndJsonKeys_isInvalid() {
    assertInvalid(attributes("file", "a", "jsonKeys", "b"), "either volume attribute \"file\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"../escape", ".hidden", "..data", "dir/file", "with space"})
  void prepare_unsafeFileName_isInvalid(String name) {
    assertInvalid(attributes("file", name), "file name \"" + name + "\"");
    assertInvalid(attributes("jsonKeys", "ok," + name), "file name \"" + name + "\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0999", "rw-r-----", "01777", "-1", ""})
  void prepare_badMode_isInvalidNamingTheValue(String mode) {
    assertInvalid(attributes("mode", mode), "\"mode\" is \"" + mode + "\"");
  }

  @Test
  void prepare_jsonKeys_areStrippedDistinctAndInTheirOrder() throws BackendException {
    HttpVolume volume = (HttpVolume) backend(PREFIX).prepare(attributes("jsonKeys", " b, a ,b,"));

    assertThat(volume.jsonKeys()).containsExactly("b", "a");
  }

  @Test
  void create_unknownConfigKey_isInvalidNamingIt() {
    assertThatThrownBy(() -> new HttpBackendFactory().create(
        Map.of("allowedUrlPrefix", PREFIX), context))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("unknown key \"allowedUrlPrefix\"");
  }

  @Test
  void create_malformedPrefix_isInvalidNamingIt() {
    assertThatThrownBy(() -> new HttpBackendFactory().create(
        Map.of("allowedUrlPrefixes", PREFIX + ", secrets.example.com"), context))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("entry secrets.example.com must be an absolute URL starting with"
            + " https://");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0s", "5 minutes", "-1m", "300"})
  void create_refreshIntervalNotAPositiveDuration_isInvalidNamingTheKeyAndValue(String interval) {
    assertThatThrownBy(() -> new HttpBackendFactory().create(
        Map.of("allowedUrlPrefixes", PREFIX, "refreshInterval", interval), context))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("http.properties: \"refreshInterval\" is \"" + interval + "\"");
  }

  @Test
  void create_severalPrefixes_acceptsUrlsUnderEach() throws BackendException {
    Backend<?> backend = new HttpBackendFactory().create(Map.of("allowedUrlPrefixes",
        PREFIX + "/, http://127.0.0.1:8200/"), context);

    assertThat(backend.prepare(Map.of("url", "http://127.0.0.1:8200/x")).audiences()).hasSize(1);
    assertThat(backend.prepare(Map.of("url", PREFIX + "/x")).audiences()).hasSize(1);
  }

  private Backend<?> backend(String allowedUrlPrefixes) throws BackendException {
    return new HttpBackendFactory().create(allowedUrlPrefixes == null ? Map.of()
        : Map.of("allowedUrlPrefixes", allowedUrlPrefixes), context);
  }

  private static Map<String, String> attributes(String... extra) {
    Map<String, String> attributes = new HashMap<>(Map.of("url", PREFIX + "/db"));
    for (int i = 0; i < extra.length; i += 2) {
      attributes.put(extra[i], extra[i + 1]);
    }
    return attributes;
  }

  private void assertInvalid(Map<String, String> attributes, String messagePart) {
    ThrowingCallable call = () -> backend(PREFIX).prepare(attributes);
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining(messagePart);
  }
}
