package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: the distribution carries Passport's license (Apache-2.0), a NOTICE, and a third-party
 * list, generated at build time (license-maven-plugin's add-third-party), naming every bundled jar.
 */
class LicensingTest {

  private static final Path ROOT = Manifests.repositoryRoot();
  private static final Path ASSEMBLY = ROOT.resolve("dist/target/passport");
  /** A jar's file name: artifactId-version[-classifier].jar. */
  private static final Pattern JAR = Pattern.compile("(.+?)-(\\d[^-]*(?:-[A-Za-z0-9.]+)*?)(-[a-z][a-z0-9_-]*)?\\.jar");

  @Test
  void repository_hasTheApacheLicenseFullText_andANotice() throws IOException {
    String license = Files.readString(ROOT.resolve("LICENSE"));

    assertThat(license).startsWith("\n                                 Apache License\n"
        + "                           Version 2.0, January 2004\n");
    assertThat(license).contains("END OF TERMS AND CONDITIONS")
        .contains("9. Accepting Warranty or Additional Liability.");
    assertThat(Files.readString(ROOT.resolve("NOTICE"))).startsWith("Passport\n")
        .contains("Apache License, Version 2.0");
  }

  @Test
  void assembly_carriesLicenseNoticeAndAThirdPartyListNamingEveryBundledJar() throws IOException {
    assertThat(ASSEMBLY.resolve("LICENSE")).hasSameTextualContentAs(ROOT.resolve("LICENSE"));
    assertThat(ASSEMBLY.resolve("NOTICE")).hasSameTextualContentAs(ROOT.resolve("NOTICE"));
    String thirdParty = Files.readString(ASSEMBLY.resolve("THIRD-PARTY.txt"));

    List<String> unlisted = new ArrayList<>();
    for (Path jar : bundledJars()) {
      String name = jar.getFileName().toString();
      Matcher parts = JAR.matcher(name);
      assertThat(parts.matches()).as("a jar named artifactId-version.jar: %s", jar).isTrue();
      String artifactId = parts.group(1);
      if (isPassports(artifactId)) {
        continue;
      }
      if (!thirdParty.contains(":" + artifactId + ":")) {
        unlisted.add(ASSEMBLY.relativize(jar).toString());
      }
    }
    assertThat(unlisted).as("bundled jars missing from THIRD-PARTY.txt").isEmpty();
    assertThat(thirdParty).doesNotContain("Unknown license");
  }

  private static boolean isPassports(String artifactId) {
    return artifactId.equals("host") || artifactId.equals("plugin-support")
        || artifactId.equals("plugin-api")
        || artifactId.startsWith("passport-plugin-");
  }

  private static List<Path> bundledJars() throws IOException {
    List<Path> jars = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ASSEMBLY)) {
      files.filter(f -> f.toString().endsWith(".jar"))
          .filter(f -> !ASSEMBLY.relativize(f).startsWith("tools"))
          .sorted()
          .forEach(jars::add);
    }
    assertThat(jars).as("jars in %s", ASSEMBLY).isNotEmpty();
    return jars;
  }
}
