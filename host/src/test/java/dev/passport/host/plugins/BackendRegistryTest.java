package dev.passport.host.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import dev.passport.host.metrics.CountingMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The decorator chain every backend runs in, without a socket. */
class BackendRegistryTest {

  private final CountingMetrics metrics = CountingMetrics.create();
  private final ScriptedFactory factory = new ScriptedFactory();
  private BackendRegistry registry;

  @AfterEach
  void close() {
    factory.release.countDown();
    if (registry != null) {
      registry.close();
    }
    MDC.clear();
  }

  @Test
  void fetch_allFetchThreadsBusy_answersResourceExhaustedInsteadOfGrowing() throws Exception {
    registry = registry(1, Duration.ofSeconds(30));
    factory.hold = true;
    CompletableFuture<Material> first = CompletableFuture.supplyAsync(() -> fetchUnchecked());
    assertThat(factory.entered.await(30, TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(this::fetch)
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.RESOURCE_EXHAUSTED))
        .hasMessageContaining("every fetch thread is in use");
    factory.release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS).files()).hasSize(1);
    assertThat(metrics.count("fetch{backend=scripted,result=resource_exhausted}")).isEqualTo(1);
  }

  @Test
  void fetch_backendSlowerThanTheTimeout_answersDeadlineExceeded() {
    registry = registry(2, Duration.ofMillis(50));
    factory.hold = true;

    assertThatThrownBy(this::fetch)
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.DEADLINE_EXCEEDED))
        .hasMessageContaining("no answer within");
    assertThat(metrics.count("fetch{backend=scripted,result=deadline_exceeded}")).isEqualTo(1);
  }

  @Test
  void fetch_onTheFetchThread_seesTheCallersLogContextAndTheBackendsClassLoader() throws Exception {
    registry = registry(2, Duration.ofSeconds(30));
    MDC.put("volume_id", "vol-7");

    fetch();

    assertThat(factory.seenThread.get()).startsWith("fetch-");
    assertThat(factory.seenVolumeId.get()).isEqualTo("vol-7");
    assertThat(factory.seenLoader.get()).isSameAs(ScriptedFactory.class.getClassLoader());
    assertThat(metrics.count("fetch{backend=scripted,result=ok}")).isEqualTo(1);
  }

  @Test
  void fetch_materialBreakingTheLimits_isUnusableAndCountedAsInvalidMaterial() {
    registry = registry(2, Duration.ofSeconds(30));
    factory.path = "../escape";

    assertThatThrownBy(this::fetch).isInstanceOf(UnusableMaterialException.class);
    assertThat(metrics.count("fetch{backend=scripted,result=invalid_material}")).isEqualTo(1);
  }

  @Test
  void fetch_backendThrowsUnchecked_answersInternalPointingAtTheLog() {
    registry = registry(2, Duration.ofSeconds(30));
    factory.explode = true;

    assertThatThrownBy(this::fetch)
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.INTERNAL))
        .hasMessage("unexpected IllegalStateException; see the driver's log");
  }

  @Test
  void build_factoryRejectsItsConfiguration_failsNamingTheBackend() {
    factory.reject = true;

    assertThatThrownBy(() -> BackendRegistry.builder().factory(factory, Map.of()).build())
        .isInstanceOf(PluginLoadException.class)
        .hasMessage("backend scripted rejected its configuration: no");
  }

  private BackendRegistry registry(int threads, Duration timeout) {
    try {
      return BackendRegistry.builder().factory(factory, Map.of()).fetchThreads(threads)
          .fetchTimeout(timeout).metrics(metrics).build();
    } catch (PluginLoadException e) {
      throw new IllegalStateException(e);
    }
  }

  private Material fetch() throws BackendException {
    RegisteredBackend backend = registry.backend("scripted").orElseThrow();
    return backend.prepare(Map.of()).fetch(TestContexts.fetchRequest());
  }

  private Material fetchUnchecked() {
    try {
      return fetch();
    } catch (BackendException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An in-process backend the test steers, recording what its fetch thread looked like. */
  private static final class ScriptedFactory implements BackendFactory {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicReference<String> seenThread = new AtomicReference<>();
    final AtomicReference<String> seenVolumeId = new AtomicReference<>();
    final AtomicReference<ClassLoader> seenLoader = new AtomicReference<>();
    volatile boolean hold;
    volatile boolean explode;
    volatile boolean reject;
    volatile String path = "secret";

    @Override
    public String name() {
      return "scripted";
    }

    @Override
    public Backend<?> create(Map<String, String> config, BackendContext context)
        throws BackendException {
      if (reject) {
        throw BackendException.invalid("no");
      }
      return new Backend<PreparedVolume>() {
        @Override
        public PreparedVolume prepare(Map<String, String> attributes) {
          return Set::of;
        }

        @Override
        public Material fetch(PreparedVolume volume, FetchRequest request) {
          seenThread.set(Thread.currentThread().getName());
          seenVolumeId.set(MDC.get("volume_id"));
          seenLoader.set(Thread.currentThread().getContextClassLoader());
          if (explode) {
            throw new IllegalStateException("bug");
          }
          if (hold) {
            entered.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return Material.of(List.of(MaterialFile.of(path, "s".getBytes(StandardCharsets.UTF_8))));
        }

        @Override
        public void close() {}
      };
    }
  }
}
