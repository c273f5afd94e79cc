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
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine here: instead, every path the Dockerfile copies must exist in the assembly
 * (its build context), and the image must put things where the DaemonSet looks for them. Issue 21:
 * bases pinned by digest, a jlink runtime, the AppCDS archive written in a stage and copied once,
 * the full OCI labels, no test tooling.
 */
class DockerfileTest {

  private static final Path ROOT = Manifests.repositoryRoot();
  private static final Path DOCKERFILE = ROOT.resolve("dist/Dockerfile");
  private static final Path ASSEMBLY = ROOT.resolve("dist/target/passport");
  private static final String DIGEST_PINNED = "[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}";
  private static final Pattern LABEL = Pattern.compile("org\\.opencontainers\\.image\\.([a-z.]+)=\"([^\"]*)\"");

  /** One instruction, continuation lines joined. */
  record Instruction(String keyword, List<String> arguments) {}

  @Test
  void everyCopySource_existsInTheAssembly_orIsAnEarlierStage() throws IOException {
    assumeTrue(Files.isDirectory(ASSEMBLY.resolve("lib")),
        "the assembly is not built in this run (" + ASSEMBLY + "); run `mvn -B -pl dist -am verify`");
    List<Instruction> instructions = instructions();
    List<String> stages = new ArrayList<>();
    int copies = 0;
    for (Instruction instruction : instructions) {
      if (instruction.keyword().equals("FROM") && instruction.arguments().size() == 3) {
        stages.add(instruction.arguments().get(2));
      }
      if (!instruction.keyword().equals("COPY") && !instruction.keyword().equals("ADD")) {
        continue;
      }
      copies++;
      List<String> sources = sources(instruction);
      assertThat(sources).as("sources of %s", instruction).isNotEmpty();
      String from = instruction.arguments().stream().filter(a -> a.startsWith("--from="))
          .map(a -> a.substring("--from=".length())).findFirst().orElse(null);
      if (from != null) {
        assertThat(stages).as("COPY --from names an earlier stage").contains(from);
        continue;
      }
      for (String source : sources) {
        assertThat(matches(source)).as("COPY source %s in %s", source, ASSEMBLY).isNotEmpty();
      }
    }
    assertThat(copies).isPositive();
  }

  @Test
  void everyBase_isPinnedByDigest_andTheImageRunsOnTheJlinkRuntime() throws IOException {
    List<Instruction> froms = instructions().stream().filter(i -> i.keyword().equals("FROM"))
        .toList();
    List<String> stages = new ArrayList<>();
    for (Instruction from : froms) {
      String image = from.arguments().get(0);
      if (!stages.contains(image)) {
        assertThat(image).as("an external base, pinned by digest").matches(DIGEST_PINNED);
      }
      if (from.arguments().size() == 3) {
        assertThat(from.arguments().get(1)).isEqualToIgnoringCase("AS");
        stages.add(from.arguments().get(2));
      }
    }
    assertThat(stages).containsExactly("jlink", "base", "cds");
    assertThat(froms.get(0).arguments().get(0)).as("jlink needs a JDK's jmods")
        .startsWith("eclipse-temurin:17-jdk@sha256:");
    assertThat(froms.get(froms.size() - 1).arguments()).as("the image stage")
        .containsExactly("base");
    assertThat(stage("base")).anySatisfy(i -> assertThat(String.join(" ", i.arguments()))
        .isEqualTo("--from=jlink /opt/java/runtime/ /opt/java/runtime/"));
  }

  @Test
  void jlinkRuntime_hasTheModulesOnlyReflectionAndServiceLoaderReach() throws IOException {
    Instruction jlink = stage("jlink").stream().filter(i -> i.keyword().equals("RUN"))
        .findFirst().orElseThrow();
    List<String> arguments = jlink.arguments();
    List<String> modules = List.of(arguments.get(arguments.indexOf("--add-modules") + 1).split(","));

    // jdeps finds the rest (dist/Dockerfile's comment); these it cannot see
    assertThat(modules).contains("java.base", "jdk.crypto.ec", "jdk.unsupported", "java.naming",
        "jdk.naming.dns", "jdk.jfr", "java.security.jgss", "java.net.http", "jdk.management", "java.sql",
        "java.logging", "java.xml", "java.desktop", "jdk.zipfs");
    assertThat(arguments).contains("--generate-cds-archive", "--strip-debug");
  }

  @Test
  void cdsArchive_isWrittenInItsStage_andCopiedOnceWithTheJarsItMapsOnto() throws IOException {
    assertThat(stage("cds")).anySatisfy(i -> {
      assertThat(i.keyword()).isEqualTo("RUN");
      assertThat(String.join(" ", i.arguments())).contains("PASSPORT_CDS_DUMP=1")
          .contains("warmup");
    });
    List<Instruction> image = stage(null);
    assertThat(image).as("no RUN in the image stage: nothing is written and hidden there")
        .noneMatch(i -> i.keyword().equals("RUN"));
    assertThat(image).anySatisfy(i -> assertThat(String.join(" ", i.arguments()))
        .isEqualTo("--from=cds /opt/passport/lib/ /opt/passport/lib/"));
    for (Instruction instruction : instructions()) {
      if (instruction.keyword().equals("COPY")) {
        assertThat(sources(instruction)).as("the build's own archive (lib/passport.jsa) stays out")
            .noneMatch(source -> source.equals("lib") || source.equals("lib/")
                || source.contains("passport.jsa"));
      }
    }
  }

  @Test
  void image_carriesTheFullOciLabels_andTheBaseDigestItRunsOn() throws IOException {
    Map<String, String> labels = new TreeMap<>();
    for (Instruction label : stage(null)) {
      if (label.keyword().equals("LABEL")) {
        Matcher pair = LABEL.matcher(String.join(" ", label.arguments()));
        while (pair.find()) {
          labels.put(pair.group(1), pair.group(2));
        }
      }
    }
    assertThat(labels.keySet()).containsExactlyInAnyOrder("title", "description", "licenses",
        "source", "version", "revision", "vendor", "url", "documentation", "created", "base.name",
        "base.digest");
    assertThat(labels).containsEntry("licenses", "Apache-2.0")
        .containsEntry("version", "${VERSION}").containsEntry("revision", "${REVISION}");
    String base = stage("base").get(0).arguments().get(0);
    assertThat(base).endsWith("@" + labels.get("base.digest"));
    assertThat(base).startsWith(labels.get("base.name").replaceFirst("^docker.io/library/", ""));
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

  /** The instructions of stage {@code name} (FROM … AS name), or of the last stage for null. */
  private static List<Instruction> stage(String name) throws IOException {
    List<Instruction> all = instructions();
    int start = -1;
    for (int i = 0; i < all.size(); i++) {
      Instruction from = all.get(i);
      if (from.keyword().equals("FROM") && (name == null
          || (from.arguments().size() == 3 && from.arguments().get(2).equals(name)))) {
        start = i;
      }
    }
    assertThat(start).as("stage %s", name).isNotNegative();
    List<Instruction> stage = new ArrayList<>();
    for (int i = start; i < all.size() && (i == start || !all.get(i).keyword().equals("FROM")); i++) {
      stage.add(all.get(i));
    }
    return stage;
  }

  /** The assembly's files a COPY source names: a path, or a glob in its last segment. */
  private static List<Path> matches(String source) throws IOException {
    if (!source.contains("*")) {
      return Files.exists(ASSEMBLY.resolve(source)) ? List.of(ASSEMBLY.resolve(source)) : List.of();
    }
    Path directory = ASSEMBLY.resolve(source).getParent();
    var glob = directory.getFileSystem().getPathMatcher("glob:" + ASSEMBLY.resolve(source));
    try (var files = Files.list(directory)) {
      return files.filter(glob::matches).toList();
    }
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
