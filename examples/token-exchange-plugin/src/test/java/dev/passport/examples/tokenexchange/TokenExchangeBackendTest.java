package dev.passport.examples.tokenexchange;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.FetchRequests;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The backend without a host: plugin-testkit's context, tokens and requests, a fake endpoint. */
class TokenExchangeBackendTest {

  private final TestBackendContext context = TestBackendContext.create();
  private final FakeClock clock = context.fakeClock();
  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final FakeTokenEndpoint endpoint = new FakeTokenEndpoint(tokens, clock, "sts");

  TokenExchangeBackendTest() throws IOException {}

  @AfterEach
  void stopEndpoint() {
    endpoint.close();
  }

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

  @Test
  void fetch_endpointAcceptsThePodsToken_writesTheAccessTokenRenewedAtTwoThirds()
      throws BackendException {
    FetchRequest request = FetchRequests.forPod(Pods.pod("shop", "checkout-0", "checkout"))
        .clock(clock)
        .mintedToken(tokens, "sts", Duration.ofHours(1))
        .build();

    Material material = fetch(backend(), Map.of("file", "registry-token"), request);

    assertThat(material.files()).containsExactly(
        MaterialFile.of("registry-token", "access-shop-checkout".getBytes(UTF_8)));
    assertThat(material.refreshAt()).contains(clock.instant().plusSeconds(2400));
    assertThat(material.expiresAt()).contains(clock.instant().plusSeconds(3600));
  }

  @Test
  void fetch_answerLargerThanTheFetchsByteBudget_isResourceExhaustedNamingTheLimit() {
    FetchRequest minted = FetchRequests.forPod(Pods.pod("shop", "checkout-0", "checkout"))
        .clock(clock)
        .mintedToken(tokens, "sts", Duration.ofHours(1))
        .build();
    // the host gives every fetch a budget of the volume's size limit; this answer is ~80 bytes
    FetchRequest request = FetchRequest.builder().volumeId(minted.volumeId()).pod(minted.pod())
        .tokens(minted.tokens()).deadline(minted.deadline())
        .budget(ByteBudget.limitedTo(16)).build();

    assertThatThrownBy(() -> fetch(backend(), Map.of(), request))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED))
        .hasMessageContaining("limit of 16 bytes");
  }

  /** What the host does: prepare once, then fetch with what prepare returned. */
  private static <V extends PreparedVolume> Material fetch(Backend<V> backend,
      Map<String, String> attributes, FetchRequest request) throws BackendException {
    return backend.fetch(backend.prepare(attributes), request);
  }

  private Backend<?> backend() throws BackendException {
    return new TokenExchangeBackendFactory().create(
        Map.of("tokenUrl", endpoint.url(), "audience", "sts"), context);
  }
}
