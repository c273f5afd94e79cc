package dev.passport.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.BackendException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SettingsTest {

  @Test
  void typedValues_areBoundWithDefaults() throws BackendException {
    Settings s = Settings.config("x.properties", Map.of("timeout", "1h30m", "mode", "0644",
        "dirs", " /a , ,/b ", "on", "TRUE", "n", "7", "blank", "  "));
    assertThat(s.duration("timeout", Duration.ZERO)).isEqualTo(Duration.ofMinutes(90));
    assertThat(s.duration("other", Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.mode("mode", 0440)).isEqualTo(0644);
    assertThat(s.list("dirs")).containsExactly("/a", "/b");
    assertThat(s.bool("on", false)).isTrue();
    assertThat(s.integer("n", 1, 0, 10)).isEqualTo(7);
    assertThat(s.optional("blank")).isEmpty();
    s.rejectUnknown();
  }

  @Test
  void unknownKey_isRefusedNamingTheKnownKeys() throws BackendException {
    Settings s = Settings.config("vault.properties", Map.of("timeuot", "5s"));
    s.duration("timeout");
    s.list("allowedCaDirectories");
    assertThatThrownBy(s::rejectUnknown)
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.INVALID_ARGUMENT))
        .hasMessage("vault.properties: unknown key \"timeuot\"; known: [allowedCaDirectories,"
            + " timeout]");
  }

  @Test
  void unknownAttribute_isNamedAsAVolumeAttribute() {
    Settings s = Settings.attributes(Map.of("roleNmae", "app"));
    s.optional("roleName");
    assertThat(s.unknownKeys()).isEqualTo(Set.of("roleNmae"));
    assertThatThrownBy(s::rejectUnknown)
        .hasMessage("unknown volume attribute \"roleNmae\"; known: [roleName]");
  }

  @Test
  void badValues_nameKeyValueAndRule() {
    Settings s = Settings.attributes(Map.of("t", "5 minutes", "m", "0999", "b", "yes",
        "n", "11", "neg", "-1s", "c", "blue"));
    assertThatThrownBy(() -> s.duration("t")).hasMessage(
        "volume attribute \"t\" is \"5 minutes\"; write a duration, " + Durations.EXAMPLES);
    assertThatThrownBy(() -> s.mode("m")).hasMessageContaining("\"0999\"")
        .hasMessageContaining("octal");
    assertThatThrownBy(() -> s.bool("b", false)).hasMessageContaining("true or false");
    assertThatThrownBy(() -> s.integer("n", 0, 10)).hasMessageContaining("from 0 to 10");
    assertThatThrownBy(() -> s.duration("neg")).hasMessageContaining("negative");
    assertThatThrownBy(() -> s.oneOf("c", "red", List.of("red", "green")))
        .hasMessageContaining("[green, red]");
  }

  @Test
  void longInteger_beyondInt_isBoundWithinItsRange() throws BackendException {
    Settings s = Settings.attributes(Map.of("gid", "4294967294", "big", "4294967295",
        "word", "staff"));
    assertThat(s.longInteger("gid", 1, 0xFFFF_FFFEL)).contains(4_294_967_294L);
    assertThat(s.longInteger("unset", 1, 10)).isEmpty();
    assertThatThrownBy(() -> s.longInteger("big", 1, 0xFFFF_FFFEL))
        .hasMessage("volume attribute \"big\" is \"4294967295\"; write a whole number from 1 to"
            + " 4294967294");
    assertThatThrownBy(() -> s.longInteger("word", 1, 10)).hasMessageContaining("from 1 to 10");
  }

  @Test
  void required_missing_saysWhatToWrite() {
    Settings s = Settings.config("vault.properties", Map.of());
    assertThatThrownBy(() -> s.required("vaultAddress", "the Vault URL, e.g. https://vault:8200"))
        .hasMessage("vault.properties: \"vaultAddress\" is required: the Vault URL, e.g."
            + " https://vault:8200");
  }

  @Test
  void goBool_acceptsStrconvForms() throws BackendException {
    Settings s = Settings.attributes(Map.of("a", "t", "b", "0", "c", "True"));
    assertThat(s.goBool("a", false)).isTrue();
    assertThat(s.goBool("b", true)).isFalse();
    assertThat(s.goBool("c", false)).isTrue();
  }

  @Test
  void positiveDuration_unsetIsEmptyAndZeroIsRefused() throws BackendException {
    Settings s = Settings.config("http.properties", Map.of("a", "90s", "zero", "0s"));
    assertThat(s.positiveDuration("a")).contains(Duration.ofSeconds(90));
    assertThat(s.positiveDuration("unset")).isEmpty();
    assertThatThrownBy(() -> s.positiveDuration("zero"))
        .hasMessage("http.properties: \"zero\" is \"0s\"; the duration must be greater than zero");
  }

  @Test
  void blanksAreValues_blankValueIsJudgedNotDefaulted() throws BackendException {
    Settings s = Settings.attributes(Map.of("mode", "", "file", " ", "keys", ""))
        .blanksAreValues();
    assertThat(s.has("file")).isTrue();
    assertThat(s.string("file", "body")).isEqualTo(" ");
    assertThat(s.list("keys")).isEmpty();
    assertThat(s.has("absent")).isFalse();
    assertThatThrownBy(() -> s.mode("mode", 0440))
        .hasMessageStartingWith("volume attribute \"mode\" is \"\"; use octal");
    s.rejectUnknown();
  }
}
