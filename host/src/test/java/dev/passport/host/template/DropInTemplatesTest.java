package dev.passport.host.template;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.PassportHost;
import dev.passport.host.k8s.SecretProviderClass;
import dev.passport.host.k8s.SecretProviderClasses;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.TestHosts;
import dev.passport.host.testing.Requests;
import dev.passport.testkit.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drop-in mode: a SecretProviderClass parameter {@code templates} arrives merged into the
 * volume's attributes, and the host takes it out after the merge, so the backend never sees it;
 * the volume's own {@code templatesOnly} applies to the class's templates.
 */
class DropInTemplatesTest {

  private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");
  private static final String TEMPLATES = "- fileName: app.env\n  template: 'USER={{username}}'\n";

  @TempDir Path dir;
  private final TemplateTestBackend backend = new TemplateTestBackend();
  private PassportHost host;
  private CsiClient client;
  private Path kubelet;

  @BeforeEach
  void start() throws Exception {
    kubelet = dir.resolve("kubelet");
    SecretProviderClass spc = new SecretProviderClass("shop", "db", "templated",
        Map.of("objects", "- objectName: username", "templates", TEMPLATES), java.util.List.of());
    host = TestHosts.builder(dir, kubelet)
        .clock(FakeClock.at(START))
        .backendFactory(backend, Map.of())
        .secretProviderClasses(new SecretProviderClasses() {
          @Override
          public Optional<SecretProviderClass> find(String namespace, String name) {
            return namespace.equals("shop") && name.equals("db") ? Optional.of(spc) : Optional.empty();
          }

          @Override
          public String describe() {
            return "one class";
          }

          @Override
          public void close() {}
        }, Map.of())
        .start();
    client = new CsiClient(host.socket());
    backend.serve(Map.of("username", "alice"));
  }

  @AfterEach
  void stop() {
    client.close();
    host.close();
  }

  @Test
  void classTemplates_areRendered_andNeverReachTheBackend_volumeTemplatesOnlyApplies()
      throws Exception {
    Path target = Requests.target(kubelet, "vol-spc");
    client.node().nodePublishVolume(Requests.publish("vol-spc", target,
        Map.of("secretProviderClass", "db", "templatesOnly", "true"),
        Requests.tokensJson(Map.of(TemplateTestBackend.AUDIENCE, "t"), START.plus(Duration.ofHours(1))))
        .build());

    assertThat(Files.readString(target.resolve("app.env"))).isEqualTo("USER=alice");
    assertThat(target.resolve("username")).doesNotExist();
    assertThat(backend.prepared).containsExactly(Map.of("objects", "- objectName: username"));
    assertThat(List.copyOf(backend.prepared.get(0).keySet())).doesNotContain("templates", "templatesOnly");
  }
}
