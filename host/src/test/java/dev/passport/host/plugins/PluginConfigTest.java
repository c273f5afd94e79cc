package dev.passport.host.plugins;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginConfigTest {

  @TempDir Path configDir;

  private Path write(String pluginId, String content) throws Exception {
    return Files.writeString(configDir.resolve(pluginId + ".properties"), content, UTF_8);
  }

  @Test
  void load_propertiesFile_returnsEveryKey() throws Exception {
    write("vault", "address=https://vault:8200\n# a comment\nrole = passport\nnamespace=ünïcode\n");

    assertThat(PluginConfig.load(Optional.of(configDir), "vault", Map.of()))
        .containsExactly(
            Map.entry("address", "https://vault:8200"),
            Map.entry("namespace", "ünïcode"),
            Map.entry("role", "passport"));
  }

  @Test
  void load_environmentReferences_areSubstituted() throws Exception {
    write("vault", "address=https://${ENV:VAULT_HOST}:${ENV:VAULT_PORT}\nempty=${ENV:EMPTY}\n");

    assertThat(
            PluginConfig.load(
                Optional.of(configDir),
                "vault",
                Map.of("VAULT_HOST", "vault.internal", "VAULT_PORT", "8200", "EMPTY", "")))
        .containsExactly(
            Map.entry("address", "https://vault.internal:8200"), Map.entry("empty", ""));
  }

  @Test
  void load_substitutedValue_isNotSubstitutedAgain() throws Exception {
    write("vault", "secret=${ENV:SECRET}\n");

    assertThat(PluginConfig.load(Optional.of(configDir), "vault", Map.of("SECRET", "${ENV:OTHER}")))
        .containsExactly(Map.entry("secret", "${ENV:OTHER}"));
  }

  @Test
  void load_unsetVariable_failsNamingFileKeyAndVariableButNotTheValue() throws Exception {
    Path file = write("vault", "token=prefix-${ENV:VAULT_TOKEN}-secret-suffix\n");

    assertThatThrownBy(() -> PluginConfig.load(Optional.of(configDir), "vault", Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("config file " + file)
        .hasMessageContaining("key token")
        .hasMessageContaining("environment variable VAULT_TOKEN, which is not set")
        .hasMessageNotContaining("secret-suffix");
  }

  @Test
  void load_malformedReference_failsNamingFileAndKey() throws Exception {
    Path file = write("vault", "address=${ENV:VAULT HOST}\n");

    assertThatThrownBy(() -> PluginConfig.load(Optional.of(configDir), "vault", Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("config file " + file)
        .hasMessageContaining("key address has a malformed ${ENV:NAME} reference");
  }

  @Test
  void load_unterminatedReference_failsNamingFileAndKey() throws Exception {
    write("vault", "address=${ENV:VAULT_HOST\n");

    assertThatThrownBy(() -> PluginConfig.load(Optional.of(configDir), "vault", Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("key address has a malformed");
  }

  @Test
  void load_missingFile_returnsEmptyConfig() throws Exception {
    assertThat(PluginConfig.load(Optional.of(configDir), "vault", Map.of())).isEmpty();
  }

  @Test
  void load_noConfigDirectory_returnsEmptyConfig() throws Exception {
    assertThat(PluginConfig.load(Optional.empty(), "vault", Map.of())).isEmpty();
  }

  @Test
  void load_configDirectoryDoesNotExist_failsNamingIt() {
    Path missing = configDir.resolve("absent");

    assertThatThrownBy(() -> PluginConfig.load(Optional.of(missing), "vault", Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("config directory " + missing)
        .hasMessageContaining("--config-dir");
  }

  @Test
  void load_malformedUnicodeEscape_failsNamingTheFile() throws Exception {
    Path file = write("vault", "address=\\uZZZZ\n");

    assertThatThrownBy(() -> PluginConfig.load(Optional.of(configDir), "vault", Map.of()))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("config file " + file);
  }
}
