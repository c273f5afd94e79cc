package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Pod;
import org.junit.jupiter.api.Test;

class PodVariablesTest {

  private final Pod pod = Pod.of("ns", "web-0", "uid-1", "sa");

  @Test
  void expand_bothForms_substitute() {
    assertThat(PodVariables.expand("${POD_NAME}.$POD_NAMESPACE/${POD_UID}/$SERVICE_ACCOUNT_NAME", pod))
        .isEqualTo("web-0.ns/uid-1/sa");
  }

  @Test
  void expand_loneDollar_staysLiteral() {
    assertThat(PodVariables.expand("cost$ $", pod)).isEqualTo("cost$ $");
  }

  @Test
  void expand_unknownVariable_failsNamingIt() {
    assertThatThrownBy(() -> PodVariables.expand("${POD_IP}", pod))
        .hasMessageContaining("undefined variable \"POD_IP\"");
  }

  @Test
  void problems_unclosedBrace_isReported() {
    assertThat(PodVariables.problems("${POD_NAME")).singleElement().asString().contains("unclosed");
  }
}
