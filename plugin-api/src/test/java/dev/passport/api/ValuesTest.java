package dev.passport.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ValuesTest {

  private static final String SECRET_TOKEN = "eyJ.secret-token-value.sig";

  @Test
  void serviceAccountToken_toString_redactsToken() {
    ServiceAccountToken token = ServiceAccountToken.of(SECRET_TOKEN, Instant.EPOCH);
    assertThat(token.toString()).doesNotContain(SECRET_TOKEN).contains("redacted");
  }

  @Test
  void fetchRequest_toString_showsAudiencesOnly() {
    FetchRequest request = request(Map.of("vault", ServiceAccountToken.of(SECRET_TOKEN, Instant.EPOCH)));
    assertThat(request.toString()).doesNotContain(SECRET_TOKEN).contains("vault");
  }

  @Test
  void token_missingAudience_throwsUnauthenticatedNamingAudience() {
    FetchRequest request = request(Map.of());
    assertThatThrownBy(() -> request.token("vault"))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.UNAUTHENTICATED))
        .hasMessageContaining("\"vault\"")
        .hasMessageContaining("tokenRequests");
  }

  @Test
  void materialFile_toString_hidesContent_andEqualsComparesBytes() {
    MaterialFile a = MaterialFile.of("password", "hunter2".getBytes(StandardCharsets.UTF_8));
    MaterialFile b = MaterialFile.of("password", "hunter2".getBytes(StandardCharsets.UTF_8));
    assertThat(a.toString()).doesNotContain("hunter2").contains("mode=default");
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.withMode(0440).toString()).contains("mode=0440");
  }

  @Test
  void materialFile_withoutAMode_leavesItToTheHost_aChosenModeIsKept() {
    MaterialFile unchosen = MaterialFile.of("a", new byte[] {1});
    MaterialFile chosen = MaterialFile.of("a", new byte[] {1}, 0644);

    assertThat(unchosen.chosenMode()).isEmpty();
    assertThat(unchosen.mode()).isEqualTo(MaterialFile.DEFAULT_MODE).isEqualTo(0644);
    assertThat(chosen.chosenMode()).hasValue(0644);
    // The same bytes on disk today, but only one of them follows --default-file-mode.
    assertThat(unchosen).isNotEqualTo(chosen);
    assertThat(unchosen.withMode(0400).chosenMode()).hasValue(0400);
    assertThatThrownBy(() -> unchosen.withMode(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MaterialFile.of("a", new byte[0], 01000))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..0777");
  }

  @Test
  void material_group_isOptional_andAtLeastOne() {
    Material material = Material.of(List.of(MaterialFile.of("a", new byte[] {1})));

    assertThat(material.group()).isEmpty();
    assertThat(material.withGroup(2000).group()).hasValue(2000);
    assertThat(material.withGroup(2000).withRefreshAt(Instant.EPOCH).group()).hasValue(2000);
    assertThat(material.withGroup(2000)).isNotEqualTo(material);
    assertThatThrownBy(() -> material.withGroup(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void material_withFiles_keepsEveryOtherField() {
    Material material = Material.of(List.of(MaterialFile.of("a", new byte[] {1})))
        .withRefreshAt(Instant.EPOCH).withExpiresAt(Instant.MAX).withVersion("v7").withGroup(2000);
    List<MaterialFile> other = List.of(MaterialFile.of("b", new byte[] {2}, 0400));

    assertThat(material.withFiles(other)).isEqualTo(Material.of(other).withRefreshAt(Instant.EPOCH)
        .withExpiresAt(Instant.MAX).withVersion("v7").withGroup(2000));
  }

  @Test
  void fetchRequest_reason_defaultsFromPrevious_andNeedsOneUnlessInitial() {
    Material previous = Material.of(List.of(MaterialFile.of("a", new byte[] {1})));
    FetchRequest.Builder builder = FetchRequest.builder().volumeId("csi-1")
        .pod(Pod.of("ns", "pod", "uid", "sa")).deadline(Instant.EPOCH);

    assertThat(builder.build().reason()).isEqualTo(FetchRequest.Reason.INITIAL);
    assertThat(builder.previous(Optional.of(previous)).build().reason())
        .isEqualTo(FetchRequest.Reason.DUE);
    assertThat(builder.reason(FetchRequest.Reason.TOKENS_ROTATED).build().toString())
        .contains("reason=TOKENS_ROTATED");
    assertThatThrownBy(() -> builder.previous(Optional.empty()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TOKENS_ROTATED");
  }

  @Test
  void materialFile_callerChangesItsArrayAfterwards_contentStaysAsMade() {
    byte[] bytes = "hunter2".getBytes(StandardCharsets.UTF_8);
    MaterialFile file = MaterialFile.of("password", bytes);
    bytes[0] = 'X';
    file.content()[1] = 'Y';

    assertThat(new String(file.content(), StandardCharsets.UTF_8)).isEqualTo("hunter2");
  }

  @Test
  void materialFile_contentBuffer_isAReadOnlyViewOfTheWholeContent() {
    MaterialFile file = MaterialFile.of("password", "hunter2".getBytes(StandardCharsets.UTF_8));
    ByteBuffer view = file.contentBuffer();

    assertThat(view.isReadOnly()).isTrue();
    assertThat(view.position()).isZero();
    assertThat(view.remaining()).isEqualTo(file.size());
    assertThatThrownBy(() -> view.put(0, (byte) 'X')).isInstanceOf(ReadOnlyBufferException.class);
    view.get(new byte[3]);
    assertThat(file.contentBuffer().position()).as("each view has its own position").isZero();
    byte[] read = new byte[file.size()];
    file.contentBuffer().get(read);
    assertThat(read).isEqualTo(file.content());
  }

  @Test
  void materialFile_withMode_keepsPathAndContent() {
    MaterialFile file = MaterialFile.of("tls.key", new byte[] {1, 2, 3});
    MaterialFile other = file.withMode(0400);

    assertThat(other.mode()).isEqualTo(0400);
    assertThat(other.path()).isEqualTo("tls.key");
    assertThat(other.content()).containsExactly(1, 2, 3);
    assertThat(other).isNotEqualTo(file);
  }

  @Test
  void materialFile_modeOutOfRange_isRejectedWithRule() {
    assertThatThrownBy(() -> MaterialFile.of("x", new byte[0], 01000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..0777");
  }

  @Test
  void material_withers_keepFiles() {
    Material material = Material.of(List.of(MaterialFile.of("a", new byte[3])))
        .withRefreshAt(Instant.EPOCH).withVersion("v1");
    assertThat(material.size()).isEqualTo(3);
    assertThat(material.refreshAt()).contains(Instant.EPOCH);
    assertThat(material.version()).contains("v1");
    assertThat(material.expiresAt()).isEmpty();
  }

  @Test
  void fetchRequest_withoutDeadline_isRejectedNamingTheField() {
    assertThatThrownBy(() -> FetchRequest.builder().volumeId("csi-1")
        .pod(Pod.of("ns", "pod", "uid", "sa")).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("deadline is null");
  }

  @Test
  void kinds_retryable_areTheTransientOnes() {
    assertThat(new BackendException(BackendException.Kind.RESOURCE_EXHAUSTED, "429").isRetryable())
        .isTrue();
    assertThat(BackendException.invalid("bad").isRetryable()).isFalse();
  }

  @Test
  void context_defaults_nameThisApiVersion() {
    BackendContext context = new BackendContext() {};
    assertThat(context.apiVersion()).isEqualTo(PluginApi.VERSION).isEqualTo("1.2");
    assertThat(context.defaultRefreshInterval()).isPositive();
  }

  private static FetchRequest request(Map<String, ServiceAccountToken> tokens) {
    return FetchRequest.builder().volumeId("csi-1").pod(Pod.of("ns", "pod", "uid", "sa"))
        .tokens(tokens).deadline(Instant.EPOCH).build();
  }
}
