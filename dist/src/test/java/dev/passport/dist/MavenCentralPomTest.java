package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Issue 21: what {@code mvn deploy} publishes for the artifacts plugin authors build against
 * (plugin-api, plugin-testkit) meets Maven Central's rules: a name and description of their own,
 * and url, licenses, developers and scm (own or inherited through passport-parent); a sources and a
 * javadoc jar beside the jar. A deployed POM is the module's pom.xml as written, so reading those
 * (and the jars the reactor just built) checks the deployment without running one.
 */
class MavenCentralPomTest {

  private static final Path ROOT = Manifests.repositoryRoot();

  @ParameterizedTest
  @ValueSource(strings = {"plugin-api", "plugin-testkit"})
  void publishedLibrary_pomCarriesCentralsRequiredMetadata(String module) throws Exception {
    Element pom = read(ROOT.resolve(module).resolve("pom.xml"));
    Element parent = read(ROOT.resolve("pom.xml"));
    assertThat(child(parent, "artifactId").map(Node::getTextContent)).contains("passport-parent");
    assertThat(child(pom, "parent").flatMap(p -> child(p, "artifactId")).map(Node::getTextContent))
        .as("%s inherits the release metadata from passport-parent", module)
        .contains("passport-parent");

    assertThat(text(pom, "name")).as("%s: name", module).isNotBlank();
    assertThat(text(pom, "description")).as("%s: description", module).isNotBlank();
    List<String> missing = new ArrayList<>();
    for (String[] path : new String[][] {{"url"}, {"licenses", "license", "name"},
        {"licenses", "license", "url"}, {"developers", "developer", "name"},
        {"scm", "connection"}, {"scm", "developerConnection"}, {"scm", "url"}}) {
      if (at(pom, path).or(() -> at(parent, path)).filter(v -> !v.isBlank()).isEmpty()) {
        missing.add(String.join("/", path));
      }
    }
    assertThat(missing).as("%s: metadata Central requires, neither in it nor in passport-parent",
        module).isEmpty();
    assertThat(at(parent, "licenses", "license", "name")).contains("Apache-2.0");
  }

  /**
   * Central validates every POM a deployment uploads, and resolving plugin-api from Central fetches
   * its whole parent chain: passport-parent and passport-build-parent each carry the metadata
   * themselves (build-parent has no parent to inherit it from).
   */
  @ParameterizedTest
  @ValueSource(strings = {"pom.xml", "build-parent/pom.xml"})
  void parentPom_ofThePublishedLibraries_carriesCentralsRequiredMetadataItself(String file)
      throws Exception {
    Element pom = read(ROOT.resolve(file));
    List<String> missing = new ArrayList<>();
    for (String[] path : new String[][] {{"name"}, {"description"}, {"url"},
        {"licenses", "license", "name"}, {"licenses", "license", "url"},
        {"developers", "developer", "name"}, {"scm", "connection"},
        {"scm", "developerConnection"}, {"scm", "url"}}) {
      if (at(pom, path).filter(v -> !v.isBlank()).isEmpty()) {
        missing.add(String.join("/", path));
      }
    }
    assertThat(missing).as("%s: metadata Central requires", file).isEmpty();
    assertThat(at(pom, "licenses", "license", "name")).contains("Apache-2.0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"plugin-api", "plugin-testkit"})
  void publishedLibrary_buildsSourcesAndJavadocJarsBesideItsJar(String module) throws Exception {
    Path target = ROOT.resolve(module).resolve("target");
    String version = text(read(ROOT.resolve("pom.xml")), "version");
    String base = module + "-" + (version.isEmpty()
        ? text((Element) child(read(ROOT.resolve("pom.xml")), "parent").orElseThrow(), "version")
        : version);

    assertThat(target.resolve(base + ".jar")).exists();
    assertThat(target.resolve(base + "-sources.jar")).exists();
    assertThat(target.resolve(base + "-javadoc.jar")).exists();
    assertThat(Files.size(target.resolve(base + "-javadoc.jar"))).isPositive();
  }

  private static Element read(Path pom) throws Exception {
    Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(pom.toFile());
    return document.getDocumentElement();
  }

  private static String text(Element element, String name) {
    return child(element, name).map(Node::getTextContent).map(String::strip).orElse("");
  }

  private static Optional<String> at(Element element, String... path) {
    Optional<Node> node = Optional.of(element);
    for (String name : path) {
      node = node.flatMap(n -> child(n, name));
    }
    return node.map(Node::getTextContent).map(String::strip);
  }

  /** The first direct child element named {@code name}. */
  private static Optional<Node> child(Node parent, String name) {
    for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node.getNodeType() == Node.ELEMENT_NODE && node.getNodeName().equals(name)) {
        return Optional.of(node);
      }
    }
    return Optional.empty();
  }
}
