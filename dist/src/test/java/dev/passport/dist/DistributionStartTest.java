package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21: the core tarball, unpacked as is, starts a host with exactly its plugins, and a cloud
 * plugin's tarball unpacked over it adds that plugin. {@code passport warmup} (the AppCDS training
 * run) starts a host from the unpacked plugins and conf directories, answers kubelet's and the
 * registrar's start-up calls on its socket, and stops: the host refuses a conf file naming no
 * loaded plugin, so a stray cloud conf file in the core would fail here.
 */
class DistributionStartTest {

  private static final Pattern LOADED = Pattern.compile("loaded plugin ([a-z0-9-]+) ");

  @TempDir Path dir;

  @Test
  void unpackedCore_startsWithTheNoCloudPlugins() throws Exception {
    Tarballs.unpack(Tarballs.core(), dir);

    assertThat(warmup(home())).containsExactlyInAnyOrderElementsOf(Tarballs.CORE_PLUGINS);
  }

  @Test
  void aCloudPluginsTarballUnpackedOverTheCore_addsThatPlugin() throws Exception {
    Tarballs.unpack(Tarballs.core(), dir);
    Tarballs.unpack(Tarballs.plugin("azure"), dir);

    Set<String> expected = new TreeSet<>(Tarballs.CORE_PLUGINS);
    expected.add("azure");
    assertThat(warmup(home())).containsExactlyInAnyOrderElementsOf(expected);
  }

  private Path home() throws IOException {
    return dir.resolve(Tarballs.top());
  }

  /** Runs bin/passport warmup in {@code home}; the ids of the plugins it loaded. */
  private static Set<String> warmup(Path home) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(List.of(home.resolve("bin/passport").toString(),
        "warmup", "--plugins-dir", home.resolve("plugins").toString(),
        "--config-dir", home.resolve("conf").toString()))
        .redirectErrorStream(true);
    builder.environment().remove("JAVA_OPTS");
    builder.environment().remove("PASSPORT_CDS_DUMP");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("PASSPORT_LOG_LEVEL", "INFO");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("bin/passport warmup did not return:\n" + output);
    }
    assertThat(process.exitValue()).as("bin/passport warmup:\n%s", output).isZero();
    Set<String> loaded = new TreeSet<>();
    Matcher plugin = LOADED.matcher(output);
    while (plugin.find()) {
      loaded.add(plugin.group(1));
    }
    return loaded;
  }
}
