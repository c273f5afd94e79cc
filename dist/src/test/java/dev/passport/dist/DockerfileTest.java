package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine here: instead, every path the Dockerfile copies must exist in the assembly
 * (its build context), and the image must put things where the DaemonSet looks for them.
 */
class DockerfileTest {

  private static final Path ROOT = Manifests.repositoryRoot();
  private static final Path DOCKERFILE = ROOT.resolve("dist/Dockerfile");
  private static final Path ASSEMBLY = ROOT.resolve("dist/target/passport");

  /** One instruction, continuation lines joined. */
  record Instruction(String keyword, List<String> arguments) {}

  @Test
  void everyCopySource_existsInTheAssembly() throws IOException {
    assumeTrue(Files.isDirectory(ASSEMBLY.resolve("lib")),
        "the assembly is not built in this run (" + ASSEMBLY + "); run `mvn -B -pl dist -am verify`");
    List<Instruction> copies = instructions().stream()
        .filter(i -> i.keyword().equals("COPY") || i.keyword().equals("ADD"))
        .toList();

    assertThat(copies).isNotEmpty();
    for (Instruction copy : copies) {
      assertThat(copy.arguments()).as("COPY from another stage is not in the assembly")
          .noneMatch(a -> a.startsWith("--from"));
      List<String> sources = sources(copy);
      assertThat(sources).as("sources of %s", copy).isNotEmpty();
      for (String source : sources) {
        assertThat(ASSEMBLY.resolve(source)).as("COPY source %s in %s", source, ASSEMBLY).exists();
      }
    }
  }

  @Test
  void image_leavesOutTheTools_andLibHoldsNoTestOrToolJar() throws IOException {
    assumeTrue(Files.isDirectory(ASSEMBLY.resolve("lib")),
        "the assembly is not built in this run (" + ASSEMBLY + "); run `mvn -B -pl dist -am verify`");
    List<String> sources = instructions().stream().filter(i -> i.keyword().equals("COPY"))
        .flatMap(i -> sources(i).stream()).toList();

    assertThat(sources).as("the privileged image carries no token minter or dev server")
        .noneMatch(source -> source.startsWith("tools") || source.equals(".") || source.equals("./"));
    try (var jars = Files.list(ASSEMBLY.resolve("lib"))) {
      assertThat(jars.map(jar -> jar.getFileName().toString()).toList())
          .noneMatch(jar -> jar.startsWith("plugin-testkit") || jar.startsWith("plugin-conformance")
              || jar.startsWith("tools-") || jar.startsWith("junit") || jar.startsWith("assertj")
              || jar.startsWith("bcp") || jar.startsWith("bcutil"));
    }
    assertThat(ASSEMBLY.resolve("tools")).as("the tools ship apart, next to lib/").isDirectory();
  }

  @Test
  void entrypoint_isTheLauncher_andTheAssemblyHasIt() throws IOException {
    assumeTrue(Files.isDirectory(ASSEMBLY.resolve("bin")),
        "the assembly is not built in this run (" + ASSEMBLY + "); run `mvn -B -pl dist -am verify`");

    assertThat(Files.isExecutable(ASSEMBLY.resolve("bin/passport"))).isTrue();
    assertThat(instruction("ENTRYPOINT").arguments()).containsExactly("[\"/opt/passport/bin/passport\"]");
  }

  @Test
  void base_isATemurin17Jre() throws IOException {
    assertThat(instruction("FROM").arguments().get(0)).startsWith("eclipse-temurin:17").contains("jre");
  }

  @Test
  void image_putsPluginsWhereTheDaemonSetLoadsThem() throws IOException {
    DaemonSet daemonSet = Manifests.only(
        Manifests.load(ROOT.resolve("deploy/base/daemonset.yaml")), DaemonSet.class);
    Container passport = daemonSet.getSpec().getTemplate().getSpec().getContainers().get(0);
    List<String> args = passport.getArgs();
    String pluginsDir = args.get(args.indexOf("--plugins-dir") + 1);

    List<String> destinations = instructions().stream().filter(i -> i.keyword().equals("COPY"))
        .map(i -> i.arguments().get(i.arguments().size() - 1).replaceAll("/$", "")).toList();
    assertThat(destinations).contains(pluginsDir, "/opt/passport/lib", "/opt/passport/bin");
    assertThat(passport.getCommand()).as("the DaemonSet relies on the image's ENTRYPOINT").isNullOrEmpty();
  }

  private static List<String> sources(Instruction copy) {
    List<String> paths = copy.arguments().stream().filter(a -> !a.startsWith("--")).toList();
    return paths.subList(0, paths.size() - 1);
  }

  private static Instruction instruction(String keyword) throws IOException {
    List<Instruction> matching = instructions().stream().filter(i -> i.keyword().equals(keyword)).toList();
    assertThat(matching).as("%s instructions", keyword).hasSize(1);
    return matching.get(0);
  }

  /** The Dockerfile's instructions: comments dropped, backslash continuations joined. */
  static List<Instruction> instructions() throws IOException {
    List<Instruction> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(DOCKERFILE)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.length() == 0)) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      current.append(trimmed);
      String[] words = current.toString().strip().split("\\s+", 2);
      String rest = words.length > 1 ? words[1] : "";
      List<String> arguments = rest.startsWith("[") ? List.of(rest) : List.of(rest.split("\\s+"));
      instructions.add(new Instruction(words[0].toUpperCase(java.util.Locale.ROOT), arguments));
      current.setLength(0);
    }
    return instructions;
  }
}
