package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Kubernetes manifests read into fabric8's typed model. A misspelled field would land in a model
 * object's {@code additionalProperties} (fabric8 keeps unknown fields rather than failing), and a
 * misspelled kind or apiVersion would come back as a {@link GenericKubernetesResource}: both fail
 * here, so a typo is a failed test, not a broken cluster.
 */
final class Manifests {

  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

  private Manifests() {}

  /** The repository's root: the dist module's parent. */
  static Path repositoryRoot() {
    return Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().getParent();
  }

  /** Every {@code *.yaml} under {@code dir} that is a manifest (kustomization files are not). */
  static List<Path> manifestFiles(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
          .filter(f -> !f.getFileName().toString().startsWith("kustomization."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The objects of one file, each typed and free of unknown fields. */
  static List<HasMetadata> load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return load(text, file.toString());
  }

  /** The YAML documents of {@code text} (a file, or what helm or kubectl rendered). */
  static List<String> documents(String text) {
    return java.util.Arrays.stream(DOCUMENT_SEPARATOR.split(text))
        .filter(document -> !document.lines()
            .allMatch(line -> line.isBlank() || line.strip().startsWith("#")))
        .toList();
  }

  /** The objects of {@code text}, each typed and free of unknown fields; {@code file} names it. */
  static List<HasMetadata> load(String text, String file) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : DOCUMENT_SEPARATOR.split(text)) {
      if (document.lines().allMatch(line -> line.isBlank() || line.strip().startsWith("#"))) {
        continue;
      }
      Object parsed = Serialization.unmarshal(document);
      assertThat(parsed).as("a Kubernetes object in %s", file).isInstanceOf(HasMetadata.class);
      assertThat(parsed).as("%s: kind/apiVersion unknown to the Kubernetes model (typo?)", file)
          .isNotInstanceOf(GenericKubernetesResource.class);
      assertNoUnknownFields(parsed, file + " " + ((HasMetadata) parsed).getKind(), new ArrayList<>());
      objects.add((HasMetadata) parsed);
    }
    return objects;
  }

  /** The one object of {@code type} in {@code objects}. */
  static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type) {
    List<T> matching = objects.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(matching).as("objects of kind %s", type.getSimpleName()).hasSize(1);
    return matching.get(0);
  }

  /** Fails on any model object, at any depth, that kept fields its type does not have. */
  private static void assertNoUnknownFields(Object value, String where, List<String> path) {
    if (value == null || value instanceof String || value instanceof Number
        || value instanceof Boolean || value instanceof Enum<?>) {
      return;
    }
    if (value instanceof Collection<?> collection) {
      int i = 0;
      for (Object item : collection) {
        path.add("[" + i++ + "]");
        assertNoUnknownFields(item, where, path);
        path.remove(path.size() - 1);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        path.add("." + entry.getKey());
        assertNoUnknownFields(entry.getValue(), where, path);
        path.remove(path.size() - 1);
      }
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || getter.getDeclaringClass() == Object.class
          || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
        continue;
      }
      Object child = invoke(getter, value);
      if (getter.getName().equals("getAdditionalProperties")) {
        assertThat((Map<?, ?>) child)
            .as("%s: unknown or mistyped field(s) at %s", where, String.join("", path))
            .isNullOrEmpty();
      } else {
        path.add("." + fieldName(getter.getName()));
        assertNoUnknownFields(child, where, path);
        path.remove(path.size() - 1);
      }
    }
  }

  private static String fieldName(String getter) {
    String name = getter.startsWith("is") ? getter.substring(2) : getter.substring(3);
    return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }

  private static Object invoke(Method getter, Object target) {
    try {
      return getter.invoke(target);
    } catch (IllegalAccessException | InvocationTargetException e) {
      return null;
    }
  }
}
