package dev.passport.examples.tokenexchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.testkit.TestBackendContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configuration and attributes, without a host: plugin-testkit's {@link TestBackendContext}. */
class TokenExchangeBackendTest {

  private final TestBackendContext context = TestBackendContext.create();

  @Test
  void prepare_scopeAndFile_needsTheConfiguredAudience() throws BackendException {
    ExchangeVolume volume = (ExchangeVolume) backend().prepare(
        Map.of("scope", "registry:pull", "file", "registry-token"));

    assertThat(volume.audiences()).containsExactly("sts");
    assertThat(volume.scope()).contains("registry:pull");
    assertThat(volume.file()).isEqualTo("registry-token");
  }

  @Test
  void prepare_unknownAttribute_isInvalidNamingIt() {
    assertThatThrownBy(() -> backend().prepare(Map.of("scpoe", "registry:pull")))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessage("unknown volume attribute \"scpoe\"; known: [file, scope]");
  }

  @Test
  void create_noTokenUrl_isInvalidSayingWhatToWrite() {
    assertThatThrownBy(() -> new TokenExchangeBackendFactory().create(Map.of(), context))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT))
        .hasMessageContaining("token-exchange.properties: \"tokenUrl\" is required");
  }

  private Backend<?> backend() throws BackendException {
    return new TokenExchangeBackendFactory().create(
        Map.of("tokenUrl", "https://sts.example.com/token", "audience", "sts"), context);
  }
}
