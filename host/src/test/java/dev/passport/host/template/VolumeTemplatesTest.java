package dev.passport.host.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.ByteBudget;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine's semantics and bounds, without a socket: parse, compile, render. */
class VolumeTemplatesTest {

  private static final Pod POD = Pod.of("shop", "web-0", "uid-1", "web");
  private static final VolumeTemplates.Limits LIMITS =
      new VolumeTemplates.Limits(1000, 4L << 20, 8L << 20);

  @Test
  void render_combinesTwoFilesAndPodFields_keepsTheBackendsFiles() throws Exception {
    Material out = render(one("app.env",
            "DATABASE_URL=postgres://{{username}}:{{#url}}{{password}}{{/url}}@db/{{pod.namespace}}"),
        files("username", "alice", "password", "p@ss:w/rd"));
    assertThat(text(out, "app.env")).isEqualTo("DATABASE_URL=postgres://alice:p%40ss%3Aw%2Frd@db/shop");
    assertThat(out.files()).extracting(MaterialFile::path).containsExactly("username", "password", "app.env");
    assertThat(out.file("app.env").orElseThrow().chosenMode()).isEmpty();
  }

  @Test
  void render_templatesOnly_writesOnlyTheRenderedFiles_withTheirMode() throws Exception {
    VolumeTemplates t = compile("- fileName: conf/app.env\n  mode: \"0440\"\n  template: \"U={{username}}\"\n", "true");
    Material out = t.render(files("username", "alice"), POD, LIMITS, ByteBudget.limitedTo(1 << 20));
    assertThat(out.files()).extracting(MaterialFile::path).containsExactly("conf/app.env");
    assertThat(out.files().get(0).chosenMode()).hasValue(0440);
    assertThat(t.backendFiles(out.files())).isEmpty();
  }

  @Test
  void render_keyReferences_readJsonAndYaml_withDotsAndDashesInNamesAndKeys() throws Exception {
    Material out = render(one("out",
            "{{creds.json//data/db.user}} {{my-config.yaml//db/hosts/1}} {{creds.json//a~1b}}"
                + " {{my-config.yaml//port}} {{pod.name}}/{{pod.serviceAccount}}"),
        files("creds.json", "{\"data\":{\"db.user\":\"bob\"},\"a/b\":\"slash\"}",
            "my-config.yaml", "db:\n  hosts: [h0, h1]\nport: 5432\n"));
    assertThat(text(out, "out")).isEqualTo("bob h1 slash 5432 web-0/web");
  }

  @Test
  void render_sectionsIterateListsAndScopeObjects_helpersEscape() throws Exception {
    Material out = render(one("out",
            "{{#users.json//list}}{{name}}={{#shell}}{{pw}}{{/shell}};{{/users.json//list}}"
                + " {{#json}}{{quote}}{{/json}} {{#base64}}{{username}}:{{quote}}{{/base64}}"
                + "{{#users.json//flag}} on{{/users.json//flag}}{{^users.json//off}} off{{/users.json//off}}"),
        files("users.json", "{\"list\":[{\"name\":\"a\",\"pw\":\"it's\"},{\"name\":\"b\",\"pw\":\"x\"}],"
                + "\"flag\":true,\"off\":false}",
            "quote", "say \"hi\"\n", "username", "u"));
    assertThat(text(out, "out")).isEqualTo("a='it'\\''s';b='x'; \"say \\\"hi\\\"\\n\" "
        + java.util.Base64.getEncoder().encodeToString("u:say \"hi\"\n".getBytes(StandardCharsets.UTF_8))
        + " on off");
  }

  @Test
  void render_missingFileOrKey_namesTheTemplateAndTheReference() {
    assertThatThrownBy(() -> render(one("app.env", "{{nope}}"), files("username", "a")))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("template \"app.env\"").hasMessageContaining("\"nope\"")
        .hasMessageContaining("[username]");
    assertThatThrownBy(() -> render(one("app.env", "{{c.json//data/missing}}"),
        files("c.json", "{\"data\":{\"x\":\"secret-value\"}}")))
        .hasMessageContaining("template \"app.env\"").hasMessageContaining("\"data/missing\"")
        .hasMessageNotContaining("secret-value");
  }

  @Test
  void render_methodAndFieldAttempts_areMissingReferences_neverReflection() {
    Material material = files("password", "s3cret", "c.json", "{\"m\":{\"k\":\"v\"}}");
    for (String attempt : List.of("{{password.bytes}}", "{{password.class.name}}",
        "{{password.length}}", "{{#password}}{{bytes}}{{/password}}", "{{#password}}{{class}}{{/password}}",
        "{{c.json//m/entrySet}}", "{{#c.json//m}}{{entrySet}}{{/c.json//m}}", "{{password.hashCode}}",
        "{{#c.json//m}}{{getClass}}{{/c.json//m}}")) {
      assertThatThrownBy(() -> render(one("t", attempt), material)).as(attempt)
          .isInstanceOf(TemplateException.class).hasMessageContaining("template \"t\"")
          .hasMessageNotContaining("s3cret");
    }
  }

  @Test
  void render_mapListOrHelperAsAValue_isRefused() {
    Material material = files("c.json", "{\"m\":{\"k\":\"v\"},\"l\":[1]}");
    for (String attempt : List.of("{{c.json//m}}", "{{c.json//l}}", "{{json}}", "{{.}}", "{{{c.json//m}}}")) {
      assertThatThrownBy(() -> render(one("t", attempt), material)).as(attempt)
          .isInstanceOf(TemplateException.class).hasMessageContaining("not text");
    }
  }

  @Test
  void compile_includesInheritanceAndDelimiterChanges_areRefused() {
    for (String attempt : List.of("{{> other}}", "{{>/etc/passwd}}", "a {{<parent}}{{/parent}}",
        "{{$block}}x{{/block}}", "{{=<% %>=}}<%> x%>")) {
      assertThatThrownBy(() -> compile(one("t", attempt), "")).as(attempt)
          .isInstanceOf(TemplateException.class).hasMessageContaining("template \"t\"");
    }
  }

  @Test
  void compile_sectionsNestedTooDeep_areRefused() throws Exception {
    String ok = "{{#a}}".repeat(TemplateCompiler.MAX_DEPTH) + "{{/a}}".repeat(TemplateCompiler.MAX_DEPTH);
    compile(one("t", ok), "");
    String deep = "{{#a}}".repeat(1000) + "{{/a}}".repeat(1000);
    assertThatThrownBy(() -> compile(one("t", deep), ""))
        .hasMessageContaining("nests sections more than " + TemplateCompiler.MAX_DEPTH);
  }

  @Test
  void render_outputPastTheVolumeLimit_isRefused_andChargedToTheBudget() {
    VolumeTemplates.Limits small = new VolumeTemplates.Limits(10, 1000, 2000);
    Material big = files("big", "x".repeat(300), "l.json", "[" + "1,".repeat(200) + "1]");
    assertThatThrownBy(() -> compile(one("t", "{{big}}{{big}}{{big}}{{big}}"), "")
        .render(big, POD, small, ByteBudget.limitedTo(1 << 20)))
        .hasMessageContaining("renders more than 1000 bytes");
    assertThatThrownBy(() -> compile(one("t", "{{#l.json//.}}{{/l.json//.}}{{#json}}{{#l.json//}}{{big}}{{/l.json//}}{{/json}}"), "")
        .render(big, POD, small, ByteBudget.limitedTo(1 << 20)))
        .isInstanceOf(TemplateException.class);
    ByteBudget tiny = ByteBudget.limitedTo(10);
    Material huge = files("big", "x".repeat(100_000));
    assertThatThrownBy(() -> compile(one("t", "{{big}}"), "").render(huge, POD, LIMITS, tiny))
        .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.retryable()).isTrue());
  }

  @Test
  void render_nestedLoopsThatPrintNothing_stopAtTheStepBound() throws Exception {
    String loops = "{{#l.json//x}}".repeat(6) + "{{/l.json//x}}".repeat(6);
    Material material = files("l.json", "{\"x\":[" + "1,".repeat(99) + "1]}");
    assertThatThrownBy(() -> render(one("t", loops), material))
        .hasMessageContaining("steps");
  }

  @Test
  void render_renderedFileCollidingWithABackendFile_isRefused() {
    assertThatThrownBy(() -> render(one("password", "x"), files("password", "a")))
        .hasMessageContaining("where the backend returned \"password\"");
    assertThatThrownBy(() -> render(one("db/url", "x"), files("db", "a")))
        .hasMessageContaining("where the backend returned \"db\"");
  }

  @Test
  void render_aFileNamedLikeABuiltIn_isAmbiguousWhenReferenced() {
    assertThatThrownBy(() -> render(one("t", "{{#json}}x{{/json}}"), files("json", "a")))
        .hasMessageContaining("ambiguous");
  }

  @Test
  void render_binaryFile_isRefusedAsText() {
    Material material = Material.of(List.of(MaterialFile.of("k.der", new byte[] {(byte) 0xff, 0})));
    assertThatThrownBy(() -> render(one("t", "{{k.der}}"), material)).hasMessageContaining("not UTF-8");
  }

  @Test
  void split_removesTheAttributes_andRefusesBadDeclarations() throws Exception {
    TemplateAttributes.Split split = TemplateAttributes.split(Map.of("a", "1",
        "templates", one("t", "{{a}}"), "templatesOnly", "false"));
    assertThat(split.backendAttributes()).containsExactly(Map.entry("a", "1"));
    assertThat(TemplateAttributes.split(Map.of("a", "1")).templates().isEmpty()).isTrue();
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("- fileName: a\n  fileName: b\n  template: x\n", "duplicate key");
    bad.put("- fileName: a\n  template: x\n  owner: root\n", "unknown key \"owner\"");
    bad.put("- fileName: a\n  template: x\n  mode: 440\n", "mode");
    bad.put("- fileName: a\n  template: x\n  mode: \"0999\"\n", "mode");
    bad.put("- fileName: ../etc/x\n  template: x\n", "\"..\"");
    bad.put("- fileName: ..data\n  template: x\n", "reserved");
    bad.put("- fileName: /abs\n  template: x\n", "absolute");
    bad.put("- fileName: a\n  template: x\n- fileName: a\n  template: y\n", "two templates");
    bad.put("- fileName: a\n  template: x\n- fileName: a/b\n  template: y\n", "directory");
    bad.put("fileName: a\n", "YAML list");
    bad.put("- fileName: a\n", "needs template");
    bad.put("- fileName: a\n  template: \"{{#x}}\"\n", "not a valid Mustache template");
    bad.put("- [[[[[x]]]]]\n", "levels deep");
    bad.put("- &a [x, x]\n- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n- [*b, *b, *b, *b, *b, *b, *b]\n", "YAML");
    bad.put("- fileName: a\n  template: x\n".repeat(TemplateAttributes.MAX_TEMPLATES + 1).replace("a\n", "a\n"), "");
    bad.forEach((yaml, message) -> assertThatThrownBy(() -> TemplateAttributes.split(Map.of("templates", yaml)))
        .as(yaml).isInstanceOf(TemplateException.class).hasMessageContaining(message));
    assertThatThrownBy(() -> TemplateAttributes.split(Map.of("templatesOnly", "true")))
        .hasMessageContaining("no \"templates\"");
    assertThatThrownBy(() -> TemplateAttributes.split(Map.of("templates", one("a", "x"), "templatesOnly", "yes")))
        .hasMessageContaining("\"true\" or \"false\"");
  }

  @Test
  void split_modeWithALeadingZero_isOctal_quotedOrNot() throws Exception {
    for (String mode : List.of("0440", "\"0440\"", "'0o440'")) {
      VolumeTemplates t = TemplateAttributes.split(Map.of("templates",
          "- fileName: a\n  template: x\n  mode: " + mode + "\n")).templates();
      assertThat(t.render(files("u", "v"), POD, LIMITS, ByteBudget.limitedTo(1 << 20))
          .file("a").orElseThrow().chosenMode()).as(mode).hasValue(0440);
    }
  }

  @Test
  void fingerprint_changesWithAnyPartOfATemplate() throws Exception {
    String a = compile(one("a", "x"), "").fingerprint();
    assertThat(compile(one("a", "x"), "").fingerprint()).isEqualTo(a);
    assertThat(compile(one("a", "y"), "").fingerprint()).isNotEqualTo(a);
    assertThat(compile(one("b", "x"), "").fingerprint()).isNotEqualTo(a);
    assertThat(compile(one("a", "x"), "true").fingerprint()).isNotEqualTo(a);
  }

  @Test
  void fingerprint_isTheValueRecordedBefore_soVolumeStatesAndCacheKeysSurviveAnUpgrade() throws Exception {
    String yaml = "- fileName: conf/app.env\n  mode: \"0440\"\n  template: \"U={{username}}\"\n"
        + "- fileName: b\n  template: 'x'\n";
    // Recorded from the release before FieldHash: the fingerprint is part of the attributes hash.
    assertThat(compile(yaml, "").fingerprint()).isEqualTo("09418a29093d9d0f7b48db5968b1dbd4");
    assertThat(compile(yaml, "true").fingerprint()).isEqualTo("2c1de073b47ea0d38d4ee21720169316");
  }

  private static String one(String fileName, String template) {
    return "- fileName: " + fileName + "\n  template: '" + template.replace("'", "''") + "'\n";
  }

  private static VolumeTemplates compile(String yaml, String only) throws TemplateException {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("templates", yaml);
    if (!only.isEmpty()) {
      attributes.put("templatesOnly", only);
    }
    return TemplateAttributes.split(attributes).templates();
  }

  private static Material render(String yaml, Material material) throws TemplateException {
    return compile(yaml, "").render(material, POD, LIMITS, ByteBudget.limitedTo(16 << 20));
  }

  private static Material files(String... pathsAndTexts) {
    List<MaterialFile> files = new java.util.ArrayList<>();
    for (int i = 0; i < pathsAndTexts.length; i += 2) {
      files.add(MaterialFile.of(pathsAndTexts[i], pathsAndTexts[i + 1].getBytes(StandardCharsets.UTF_8)));
    }
    return Material.of(files);
  }

  private static String text(Material material, String path) {
    return new String(material.file(path).orElseThrow().content(), StandardCharsets.UTF_8);
  }
}
