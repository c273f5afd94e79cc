package dev.passport.host.plugins;

import static dev.passport.host.plugins.TestContexts.fetchRequest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ContextClassLoaderBackendTest {

  private final ClassLoader pluginLoader = new URLClassLoader("plugin:test", new URL[0], null);
  private final ClassLoader callersLoader = new URLClassLoader("callers", new URL[0], null);
  private final RecordingBackend recording = new RecordingBackend();
  private final Backend<PreparedVolume> backend =
      new ContextClassLoaderBackend<>(recording, pluginLoader);
  private final PreparedVolume volume = Set::of;

  @BeforeEach
  void setCallersLoader() {
    Thread.currentThread().setContextClassLoader(callersLoader);
  }

  @AfterEach
  void restoreTestLoader() {
    Thread.currentThread()
        .setContextClassLoader(ContextClassLoaderBackendTest.class.getClassLoader());
  }

  @Test
  void everyCall_seesThePluginLoader_andTheCallersLoaderIsRestored() throws Exception {
    backend.prepare(Map.of());
    backend.fetch(volume, fetchRequest());
    backend.release("csi-volume-1");
    backend.close();

    assertThat(recording.contextLoaders)
        .containsExactly(pluginLoader, pluginLoader, pluginLoader, pluginLoader);
    assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(callersLoader);
  }

  @Test
  void fetch_backendThrows_callersLoaderIsRestoredAndExceptionPropagates() {
    recording.failWith = new BackendException(BackendException.Kind.UNAVAILABLE, "vault is down");

    assertThatThrownBy(() -> backend.fetch(volume, fetchRequest())).isSameAs(recording.failWith);
    assertThatThrownBy(() -> backend.release("csi-volume-1")).isSameAs(recording.failWith);
    assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(callersLoader);
  }

  @Test
  void close_backendThrowsUnchecked_callersLoaderIsRestored() {
    recording.failCloseWith = new IllegalStateException("already closed");

    assertThatThrownBy(backend::close).isSameAs(recording.failCloseWith);
    assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(callersLoader);
  }

  /** A plugin backend that notes the context class loader of each call. */
  private static final class RecordingBackend implements Backend<PreparedVolume> {
    final List<ClassLoader> contextLoaders = new ArrayList<>();
    BackendException failWith;
    RuntimeException failCloseWith;

    private void record() throws BackendException {
      contextLoaders.add(Thread.currentThread().getContextClassLoader());
      if (failWith != null) {
        throw failWith;
      }
    }

    @Override
    public PreparedVolume prepare(Map<String, String> attributes) throws BackendException {
      record();
      return Set::of;
    }

    @Override
    public Material fetch(PreparedVolume volume, FetchRequest request) throws BackendException {
      record();
      return Material.of(List.of());
    }

    @Override
    public void release(String volumeId) throws BackendException {
      record();
    }

    @Override
    public void close() {
      contextLoaders.add(Thread.currentThread().getContextClassLoader());
      if (failCloseWith != null) {
        throw failCloseWith;
      }
    }
  }
}
