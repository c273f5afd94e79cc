package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The release tarballs the build writes into dist/target (issue 21), read with the system's tar as
 * an operator unpacks them.
 */
final class Tarballs {

  static final Path TARGET = Manifests.repositoryRoot().resolve("dist/target");
  static final Path ASSEMBLY = TARGET.resolve("passport");
  /** The plugins of no single cloud: in the core tarball. */
  static final Set<String> CORE_PLUGINS = Set.of("vault", "http", "certmanager");
  /** Each cloud's plugin: a tarball of its own, as secrets-store-csi-driver's providers. */
  static final Set<String> CLOUD_PLUGINS = Set.of("gcp", "aws", "azure");

  private static final Pattern CORE = Pattern.compile("passport-(\\d[^/]*)\\.tar\\.gz");

  private Tarballs() {}

  /** The version in the core tarball's name: passport-&lt;version&gt;.tar.gz. */
  static String version() throws IOException {
    try (Stream<Path> files = Files.list(TARGET)) {
      List<String> versions = files.map(f -> CORE.matcher(f.getFileName().toString()))
          .filter(Matcher::matches).map(m -> m.group(1)).toList();
      assertThat(versions).as("one passport-<version>.tar.gz in %s (mvn package)", TARGET)
          .hasSize(1);
      return versions.get(0);
    }
  }

  static Path core() throws IOException {
    return TARGET.resolve("passport-" + version() + ".tar.gz");
  }

  static Path plugin(String id) throws IOException {
    return TARGET.resolve("passport-plugin-" + id + "-" + version() + ".tar.gz");
  }

  /** The top directory every entry is under: passport-&lt;version&gt;/. */
  static String top() throws IOException {
    return "passport-" + version() + "/";
  }

  /** The entries' names, as {@code tar -tzf} prints them (directories end in /). */
  static List<String> entries(Path tarball) throws IOException, InterruptedException {
    return List.of(tar("-tzf", tarball.toString()).split("\n"));
  }

  /** Unpacks the tarball into {@code directory}, over what is there. */
  static void unpack(Path tarball, Path directory) throws IOException, InterruptedException {
    tar("-xzf", tarball.toString(), "-C", directory.toString());
  }

  private static String tar(String... arguments) throws IOException, InterruptedException {
    List<String> command = Stream.concat(Stream.of("tar"), Stream.of(arguments)).toList();
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not return");
    }
    assertThat(process.exitValue()).as("%s: %s", command, output).isZero();
    return output;
  }
}
