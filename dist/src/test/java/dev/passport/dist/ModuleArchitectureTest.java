package dev.passport.dist;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules between modules (docs/architecture.md), checked on the compiled classes of every
 * module this assembly ships or offers to plugin authors. The host's own package rules are
 * {@code dev.passport.host.ArchitectureTest}.
 */
class ModuleArchitectureTest {

  /** Passport's packages that a plugin, the API or the testkit must never reach. */
  private static final String[] HOST_SIDE = {
      "dev.passport.host..", "dev.passport.conformance..", "dev.passport.tools..",
      "dev.passport.bench.."};

  private static JavaClasses classes;

  @BeforeAll
  static void importModules() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.passport.api", "dev.passport.support", "dev.passport.testkit",
            "dev.passport.plugins");
    // An empty import would make every rule pass: prove each module was found.
    for (String pkg : new String[] {"dev.passport.api", "dev.passport.support",
        "dev.passport.testkit", "dev.passport.plugins.vault", "dev.passport.plugins.gcp",
        "dev.passport.plugins.certmanager", "dev.passport.plugins.http"}) {
      assertThat(classes.containPackage(pkg)).as("classes of %s imported", pkg).isTrue();
    }
  }

  @Test
  void pluginApi_dependsOnTheJdkOnly() {
    classes().that().resideInAPackage("dev.passport.api..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "dev.passport.api..")
        .check(classes);
  }

  @Test
  void pluginSupport_dependsOnTheJdkAndThePluginApiOnly() {
    classes().that().resideInAPackage("dev.passport.support..")
        .should().onlyDependOnClassesThat()
        // javax.net.ssl is java.base too: ForwardingHttpClient forwards the JDK client's TLS getters
        .resideInAnyPackage("java..", "javax.net.ssl..", "dev.passport.api..",
            "dev.passport.support..")
        .check(classes);
  }

  @Test
  void plugins_importOnlyThePluginApiAndPluginSupport() {
    noClasses().that().resideInAPackage("dev.passport.plugins..")
        .should().dependOnClassesThat().resideInAnyPackage(HOST_SIDE)
        .orShould().dependOnClassesThat().resideInAPackage("dev.passport.testkit..")
        .check(classes);
  }

  @Test
  void plugins_doNotDependOnEachOther() {
    slices().matching("dev.passport.plugins.(*)..").should().notDependOnEachOther()
        .check(classes);
  }

  @Test
  void testkit_importsNoHostClassAndNoGrpc() {
    noClasses().that().resideInAPackage("dev.passport.testkit..")
        .should().dependOnClassesThat().resideInAnyPackage(HOST_SIDE)
        .orShould().dependOnClassesThat().resideInAnyPackage("io.grpc..", "com.google.protobuf..")
        .check(classes);
  }
}
