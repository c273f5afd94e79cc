package dev.passport.host.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The host's dependency rules (docs/architecture.md), checked on the compiled main classes:
 *
 * <pre>
 * cli ─▶ (root: PassportHost) ─▶ csi ─▶ publish ─▶ {cache, plugins} ─▶ volume
 *                                  logging, metrics, threads: used by all, use none of the above
 * </pre>
 */
@AnalyzeClasses(packages = "dev.passport.host", importOptions = ImportOption.DoNotIncludeTests.class)
class HostArchitectureTest {

  private static final String HOST = "dev.passport.host";
  private static final String CSI = HOST + ".csi..";
  private static final String PUBLISH = HOST + ".publish..";
  private static final String CACHE = HOST + ".cache..";
  private static final String PLUGINS = HOST + ".plugins..";
  private static final String VOLUME = HOST + ".volume..";
  private static final String CLI = HOST + ".cli..";
  private static final String[] GENERATED_AND_GRPC = {"csi.v1..", "com.google.protobuf..", "io.grpc.."};
  /** The leaves every stage may use. */
  private static final String[] LEAVES = {HOST + ".logging..", HOST + ".metrics..", HOST + ".threads.."};

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching(HOST + ".(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule nothingPointsBackAtCsi =
      noClasses().that().resideOutsideOfPackages(CSI, HOST, CLI)
          .should().dependOnClassesThat().resideInAPackage(CSI)
          .because("the pipeline runs csi -> publish -> {cache, plugins} -> volume; only the"
              + " composition root and the CLI above it start the CSI side");

  @ArchTest
  static final ArchRule onlyCsiAndTheRootUsePublish =
      noClasses().that().resideOutsideOfPackages(CSI, PUBLISH, HOST, CLI)
          .should().dependOnClassesThat().resideInAPackage(PUBLISH)
          .because("publish orchestrates; cache, plugins and volume know nothing of it");

  @ArchTest
  static final ArchRule cacheKnowsNothingOfMountingPluginsOrPublishing =
      noClasses().that().resideInAPackage(CACHE)
          .should().dependOnClassesThat().resideInAnyPackage(VOLUME, PLUGINS, PUBLISH, CSI)
          .because("cache decides and remembers; it never mounts, writes or calls a plugin");

  @ArchTest
  static final ArchRule pluginsKnowNothingOfCsiPublishOrCache =
      noClasses().that().resideInAPackage(PLUGINS)
          .should().dependOnClassesThat().resideInAnyPackage(CSI, PUBLISH, CACHE);

  @ArchTest
  static final ArchRule volumeKnowsNoStageAboveIt =
      noClasses().that().resideInAPackage(VOLUME)
          .should().dependOnClassesThat().resideInAnyPackage(CSI, PUBLISH, CACHE, PLUGINS)
          .because("volume writes files; it knows nothing of backends or the refresh rule");

  @ArchTest
  static final ArchRule leavesUseNoStage =
      noClasses().that().resideInAnyPackage(LEAVES)
          .should().dependOnClassesThat()
          .resideInAnyPackage(CSI, PUBLISH, CACHE, PLUGINS, VOLUME, CLI, HOST);

  @ArchTest
  static final ArchRule protobufAndGrpcStopAtCsi =
      noClasses().that().resideOutsideOfPackages(CSI, "csi.v1..")
          .should().dependOnClassesThat().resideInAnyPackage(GENERATED_AND_GRPC)
          .because("protobuf types stop at csi; plugin-api types are the lingua franca inside");

  @ArchTest
  static final ArchRule cliUsesNoGrpc =
      noClasses().that().resideInAPackage(CLI)
          .should().dependOnClassesThat().resideInAnyPackage(GENERATED_AND_GRPC)
          .because("the CLI composes the host; gRPC is the csi package's business");

  @ArchTest
  static final ArchRule onlyTheCliUsesTheCompositionRoot =
      noClasses().that().resideInAnyPackage(CSI, PUBLISH, CACHE, PLUGINS, VOLUME, HOST + ".http..")
          .should().dependOnClassesThat().resideInAPackage(HOST);
}
