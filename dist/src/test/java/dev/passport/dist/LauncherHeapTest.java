package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.memory.ByteSize;
import dev.passport.host.memory.HeapFormula;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/passport derives -Xmx from the memory bounds by the host's own {@link HeapFormula} (issue
 * 13): run the real script with a stand-in {@code java} that prints its arguments.
 */
class LauncherHeapTest {

  private static final Path SCRIPT = Manifests.repositoryRoot().resolve("dist/src/bin/passport");

  @TempDir Path dir;

  @Test
  void defaults_giveTheFormulasHeapForTheHostsDefaults() throws Exception {
    assertThat(run(Map.of()).stdout()).contains(xmx("16Mi", "16Mi"));
  }

  @Test
  void theTwoVariables_setTheHeapByTheFormula() throws Exception {
    assertThat(run(Map.of("PASSPORT_CACHE_BYTES", "8Mi", "PASSPORT_MATERIAL_BUDGET", "40Mi"))
        .stdout()).contains(xmx("8Mi", "40Mi"));
    assertThat(run(Map.of("PASSPORT_CACHE_BYTES", "1", "PASSPORT_MATERIAL_BUDGET", "16385Ki"))
        .stdout()).contains(xmx("1", "16385Ki"));
  }

  @Test
  void anXmxInJavaOpts_wins() throws Exception {
    String out = run(Map.of("JAVA_OPTS", "-Xmx300m")).stdout();
    assertThat(out).contains("-Xmx300m").doesNotContain(xmx("16Mi", "16Mi"));
  }

  @Test
  void aSizeTheHostWouldRefuse_stopsTheLauncherNamingTheVariable() throws Exception {
    Result result = run(Map.of("PASSPORT_MATERIAL_BUDGET", "16MB"));
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.stderr()).contains("PASSPORT_MATERIAL_BUDGET is \"16MB\"");
  }

  private static String xmx(String cache, String budget) {
    return " -Xmx" + HeapFormula.requiredHeapMib(ByteSize.parse("cache", cache),
        ByteSize.parse("budget", budget)) + "m ";
  }

  private record Result(int exit, String stdout, String stderr) {}

  private Result run(Map<String, String> env) throws IOException, InterruptedException {
    Path home = Files.createDirectories(dir.resolve("home"));
    Files.createDirectories(home.resolve("bin"));
    Files.createDirectories(home.resolve("lib"));
    Files.copy(SCRIPT, home.resolve("bin/passport"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
    Files.writeString(java, "#!/bin/sh\necho \" $* \"\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> command = new ArrayList<>(List.of("sh", home.resolve("bin/passport").toString(),
        "serve"));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().remove("JAVA_OPTS");
    builder.environment().remove("PASSPORT_CACHE_BYTES");
    builder.environment().remove("PASSPORT_MATERIAL_BUDGET");
    builder.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("bin/passport did not return");
    }
    return new Result(process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
