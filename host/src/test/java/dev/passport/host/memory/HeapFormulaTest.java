package dev.passport.host.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HeapFormulaTest {

  private static final long MIB = 1024 * 1024;

  @Test
  void requiredHeap_isBaselinePlusCachePlusCopiesOfTheBudget_inWholeMib() {
    assertThat(HeapFormula.requiredHeapMib(32 * MIB, 16 * MIB))
        .isEqualTo(HeapFormula.BASELINE_MIB + 32 + HeapFormula.COPIES * 16);
    assertThat(HeapFormula.requiredHeapMib(1, MIB + 1))
        .isEqualTo(HeapFormula.BASELINE_MIB + 1 + HeapFormula.COPIES * 2);
  }

  @Test
  void problem_heapBelowTheFormula_namesTheXmxToSet() {
    long required = HeapFormula.requiredHeapMib(32 * MIB, 16 * MIB);

    assertThat(HeapFormula.problem(64 * MIB, 32 * MIB, 16 * MIB, 8 * MIB)).hasValueSatisfying(
        line -> assertThat(line).startsWith("the heap (-Xmx64m) is smaller than")
            .contains("set -Xmx" + required + "m").doesNotContain("\n"));
    assertThat(HeapFormula.problem(required * MIB, 32 * MIB, 16 * MIB, 8 * MIB)).isEmpty();
  }

  @Test
  void problem_budgetBelowTwoVolumes_namesTheBudgetToSet() {
    assertThat(HeapFormula.problem(1024 * MIB, 32 * MIB, 12 * MIB, 8 * MIB)).hasValueSatisfying(
        line -> assertThat(line).contains("twice the per-volume limit of 8Mi")
            .contains("at least 16Mi"));
  }

  @Test
  void maxHeapBytes_isThisJvmsMaxHeap() {
    assertThat(HeapFormula.maxHeapBytes()).isGreaterThanOrEqualTo(Runtime.getRuntime().maxMemory());
  }

  @Test
  void byteSize_readsKubernetesBinarySuffixesAndBytes_andRefusesTheRest() {
    assertThat(ByteSize.parse("x", "16Mi")).isEqualTo(16 * MIB);
    assertThat(ByteSize.parse("x", "512Ki")).isEqualTo(512 * 1024);
    assertThat(ByteSize.parse("x", "1Gi")).isEqualTo(1024 * MIB);
    assertThat(ByteSize.parse("x", "12345")).isEqualTo(12345);
    assertThat(ByteSize.format(16 * MIB)).isEqualTo("16Mi");
    assertThat(ByteSize.format(12345)).isEqualTo("12345");
    for (String bad : new String[] {"", "16MB", "-1", "Mi", "1.5Gi", "0"}) {
      assertThatThrownBy(() -> ByteSize.parse("--material-budget", bad))
          .as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("--material-budget is");
    }
  }
}
