package dev.passport.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    ServiceAccountToken token = new ServiceAccountToken(SECRET_TOKEN, Instant.EPOCH);
    assertThat(token.toString()).doesNotContain(SECRET_TOKEN).contains("redacted");
  }

  @Test
  void fetchRequest_toString_showsAudiencesOnly() {
    FetchRequest request = request(Map.of("vault", new ServiceAccountToken(SECRET_TOKEN, Instant.EPOCH)));
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
    assertThat(a.toString()).doesNotContain("hunter2").contains("mode=0440");
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
  }

  @Test
  void materialFile_modeOutOfRange_isRejectedWithRule() {
    assertThatThrownBy(() -> new MaterialFile("x", new byte[0], 01000))
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

  private static FetchRequest request(Map<String, ServiceAccountToken> tokens) {
    return new FetchRequest("csi-1", new Pod("ns", "pod", "uid", "sa"), tokens, Map.of(),
        Optional.empty(), Instant.EPOCH);
  }
}
