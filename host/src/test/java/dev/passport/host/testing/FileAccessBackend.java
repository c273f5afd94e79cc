package dev.passport.host.testing;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process backend for the file-access tests (issue 15): it serves {@code path → content}
 * files with the modes the test chooses (none by default: the host's default applies), optionally
 * asks for a group ({@link Material#withGroup}), and can answer a fetch with its {@code previous}
 * unchanged, as a plugin with material of its own lifetime does on a token rotation. It records
 * each request's reason and mount group.
 */
public final class FileAccessBackend implements BackendFactory {

  public static final String NAME = "files";
  public static final String AUDIENCE = "files";

  private final Map<String, String> contents = new ConcurrentHashMap<>();
  private final Map<String, Integer> modes = new ConcurrentHashMap<>();
  private volatile OptionalInt group = OptionalInt.empty();
  private volatile boolean returnPrevious;
  private final List<FetchRequest.Reason> reasons = new CopyOnWriteArrayList<>();
  private final List<OptionalInt> mountGroups = new CopyOnWriteArrayList<>();
  private final List<Boolean> previousGiven = new CopyOnWriteArrayList<>();

  /** Serves {@code path} with {@code content}, mode left to the host. */
  public FileAccessBackend file(String path, String content) {
    contents.put(path, content);
    return this;
  }

  /** Serves {@code path} with {@code content} and a mode the plugin chose. */
  public FileAccessBackend file(String path, String content, int mode) {
    contents.put(path, content);
    modes.put(path, mode);
    return this;
  }

  /** The group the material asks for, like cert-manager's {@code fs-group}. */
  public FileAccessBackend group(int gid) {
    group = OptionalInt.of(gid);
    return this;
  }

  /** From now on, answer with {@code previous} when the host gives one. */
  public void returnPrevious() {
    returnPrevious = true;
  }

  public List<FetchRequest.Reason> reasons() {
    return List.copyOf(reasons);
  }

  public List<OptionalInt> mountGroups() {
    return List.copyOf(mountGroups);
  }

  public List<Boolean> previousGiven() {
    return List.copyOf(previousGiven);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context) {
    return new Backend<PreparedVolume>() {
      @Override
      public PreparedVolume prepare(Map<String, String> attributes) {
        return () -> Set.of(AUDIENCE);
      }

      @Override
      public Material fetch(PreparedVolume volume, FetchRequest request) throws BackendException {
        request.token(AUDIENCE);
        reasons.add(request.reason());
        mountGroups.add(request.mountGroup());
        previousGiven.add(request.previous().isPresent());
        if (returnPrevious && request.previous().isPresent()) {
          return request.previous().get();
        }
        List<MaterialFile> files = new ArrayList<>();
        contents.forEach((path, content) -> {
          byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
          Integer mode = modes.get(path);
          files.add(mode == null ? MaterialFile.of(path, bytes) : MaterialFile.of(path, bytes, mode));
        });
        Material material = Material.of(files);
        OptionalInt gid = group;
        return gid.isPresent() ? material.withGroup(gid.getAsInt()) : material;
      }

      @Override
      public void close() {}
    };
  }
}
