package dev.passport.tools.demo;

import dev.passport.testkit.FakeClock;
import dev.passport.testkit.ServiceAccountTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the backends' servers share with the host: the issuer of the pod tokens they verify, the
 * clock the demo moves, and the host's configuration directory.
 */
public record DemoSetting(ServiceAccountTokens tokens, FakeClock clock, Path conf) {

  /**
   * Writes {@code conf/<backend>.properties}, one {@code key=value} a line in the given order,
   * as an operator writes it (no escaping: the demo's values are URLs and paths).
   */
  public Path writeConfig(String backend, Map<String, String> config) throws IOException {
    StringBuilder text = new StringBuilder("# written by passport demo: its stand-in servers\n");
    config.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
    return Files.writeString(conf.resolve(backend + ".properties"), text);
  }
}
