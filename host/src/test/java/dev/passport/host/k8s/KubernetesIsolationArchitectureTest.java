package dev.passport.host.k8s;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Drop-in mode's footprint rule (issue 19): fabric8 stays in the k8s package, and the rest of the
 * host reaches that package only through its plain types, so nothing of fabric8 loads unless the
 * CLI turns the mode on ({@link DropInFootprintTest} proves it at run time).
 */
@AnalyzeClasses(packages = "dev.passport.host", importOptions = ImportOption.DoNotIncludeTests.class)
class KubernetesIsolationArchitectureTest {

  private static final String K8S = "dev.passport.host.k8s..";

  @ArchTest
  static final ArchRule onlyK8sUsesFabric8 =
      noClasses().that().resideOutsideOfPackage(K8S)
          .should().dependOnClassesThat().resideInAPackage("io.fabric8..")
          .because("the Kubernetes client is loaded only in drop-in mode");

  @ArchTest
  static final ArchRule onlyTheCliStartsTheInformer =
      noClasses().that().resideOutsideOfPackages(K8S, "dev.passport.host.cli..")
          .should().dependOnClassesThat()
          .haveNameMatching("dev\\.passport\\.host\\.k8s\\.(KubernetesAccess|InformedSecretProviderClasses).*")
          .because("everything else sees SecretProviderClasses, an interface that loads no fabric8 class");

  @ArchTest
  static final ArchRule k8sKnowsNoStage =
      noClasses().that().resideInAPackage(K8S)
          .should().dependOnClassesThat().resideInAnyPackage("dev.passport.host.csi..",
              "dev.passport.host.publish..", "dev.passport.host.volume..", "dev.passport.host.plugins..",
              "dev.passport.host.cache..", "dev.passport.host.cli..")
          .because("k8s only answers lookups; publish decides what they mean");
}
