package dev.passport.plugins.aws;

import dev.passport.api.BackendException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * provider-aws's {@code objects} parameter: a YAML list of descriptors, read as its
 * {@code NewSecretDescriptorList} reads it (sigs.k8s.io/yaml into Go structs: field names match in
 * any case, unknown fields are ignored) and validated with its rules and messages.
 */
final class ObjectSpec {

  static final String OBJECT_NAME = "objectName";
  static final int MAX_NAME_LENGTH = 2048;
  static final int MAX_JMES_PATHS = 100;
  static final int MAX_OBJECTS_BYTES = 256 * 1024;

  private static final Pattern BAD_PATH = Pattern.compile("(/\\.\\./)|(^\\.\\./)|(/\\.\\.$)");
  private static final Pattern FILE_PERMISSION = Pattern.compile("^[0-7]{4}$");
  static final int DEFAULT_FILE_PERMISSION = 0644;

  enum Type {
    SSM_PARAMETER("ssmparameter"), SECRETS_MANAGER("secretsmanager");

    final String id;

    Type(String id) {
      this.id = id;
    }
  }

  /** One {@code jmesPath} entry: a JSON value of the object written to its own file. */
  record JmesEntry(String path, JmesPath compiled, String fileName, int mode) {}

  /** The {@code failoverObject} of a descriptor. */
  record Failover(String objectName, String objectVersion, String objectVersionLabel) {}

  /**
   * One descriptor.
   *
   * @param fileName the file it is written to, translated
   * @param mode its file mode
   */
  record Descriptor(
      String objectName,
      String objectAlias,
      String objectVersion,
      String objectVersionLabel,
      Type type,
      String fileName,
      int mode,
      List<JmesEntry> jmesPath,
      Optional<Failover> failover) {

    String name(boolean failoverRegion) {
      return failoverRegion && failover.isPresent() && !failover.get().objectName().isEmpty()
          ? failover.get().objectName() : objectName;
    }

    String version(boolean failoverRegion) {
      return failoverRegion && failover.isPresent() && !failover.get().objectVersion().isEmpty()
          ? failover.get().objectVersion() : objectVersion;
    }

    String label(boolean failoverRegion) {
      return failoverRegion && failover.isPresent()
          && !failover.get().objectVersionLabel().isEmpty()
          ? failover.get().objectVersionLabel() : objectVersionLabel;
    }

    /** Pinned by version id (Secrets Manager) or number (SSM): its content never changes. */
    boolean pinned() {
      return !objectVersion.isEmpty();
    }

    /** The number of files it gives. */
    int files() {
      return 1 + jmesPath.size();
    }
  }

  private ObjectSpec() {}

  /**
   * Parses and validates {@code objects}.
   *
   * @param translate the {@code pathTranslation} parameter, or empty
   * @param regions the primary region and, if any, the failover region
   */
  static List<Descriptor> parse(String objects, String translate, List<String> regions,
      int maxObjects) throws BackendException {
    String translation = translation(translate);
    if (objects.length() > MAX_OBJECTS_BYTES) {
      throw BackendException.invalid("objects is " + objects.length() + " characters long; at most "
          + MAX_OBJECTS_BYTES + " are read");
    }
    Object loaded;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setMaxAliasesForCollections(10);
      options.setAllowDuplicateKeys(true);
      options.setNestingDepthLimit(10);
      loaded = new Yaml(new SafeConstructor(options)).load(objects);
    } catch (YAMLException e) {
      throw BackendException.invalid("Failed to load SecretProviderClass: objects is not valid"
          + " YAML: " + firstLine(e.getMessage()));
    }
    if (loaded == null) {
      return List.of();
    }
    if (!(loaded instanceof List<?> list)) {
      throw BackendException.invalid("Failed to load SecretProviderClass: objects must be a YAML"
          + " list of descriptors such as '- objectName: \"MySecret\"\\n  objectType:"
          + " \"secretsmanager\"'");
    }
    List<Descriptor> descriptors = new ArrayList<>();
    Map<String, String[]> seenNames = new HashMap<>();
    Set<String> seenAliases = new HashSet<>();
    int files = 0;
    for (Object item : list) {
      if (item == null) {
        throw BackendException.invalid("Empty descriptor entry in SecretProviderClass");
      }
      if (!(item instanceof Map<?, ?> map)) {
        throw BackendException.invalid("Failed to load SecretProviderClass: each entry of objects"
            + " must be a mapping with objectName, objectType...");
      }
      Descriptor d = descriptor(fields(map), translation, regions);
      files += d.files();
      if (files > maxObjects) {
        throw BackendException.invalid("objects lists more than " + maxObjects + " objects and"
            + " jmesPath entries; split the volume or raise maxObjects in aws.properties");
      }
      checkDuplicates(d, seenNames, seenAliases);
      descriptors.add(d);
    }
    return List.copyOf(descriptors);
  }

  /** {@code pathTranslation}: "" (default "_"), "False" (none) or one character. */
  static String translation(String translate) throws BackendException {
    if (translate.isEmpty()) {
      return "_";
    }
    if (translate.toLowerCase(Locale.ROOT).equals("false")) {
      return "";
    }
    if (translate.codePointCount(0, translate.length()) != 1) {
      throw BackendException.invalid(
          "pathTranslation must be either 'False' or a single character string");
    }
    return translate;
  }

  /** provider-aws's {@code GetFileName}: the alias or the name, slashes translated. */
  static String fileName(String objectName, String objectAlias, String translation) {
    String fileName = objectAlias.isEmpty() ? objectName : objectAlias;
    if (!translation.isEmpty()) {
      return fileName.replace("/", translation);
    }
    int start = 0;
    while (start < fileName.length() && fileName.charAt(start) == '/') {
      start++;
    }
    return fileName.substring(start);
  }

  private static Descriptor descriptor(Fields f, String translation, List<String> regions)
      throws BackendException {
    String objectName = f.string("objectName");
    String objectAlias = f.string("objectAlias");
    String objectVersion = f.string("objectVersion");
    String objectVersionLabel = f.string("objectVersionLabel");
    String objectType = f.string("objectType");
    String filePermission = f.string("filePermission");
    if (objectName.isEmpty()) {
      throw BackendException.invalid("Object name must be specified");
    }
    if (objectName.length() > MAX_NAME_LENGTH || objectAlias.length() > MAX_NAME_LENGTH) {
      throw BackendException.invalid("object name or alias longer than " + MAX_NAME_LENGTH
          + " characters: " + objectName.substring(0, Math.min(objectName.length(), 80)));
    }
    validateObjectName(objectName, objectType, regions.get(0));
    Type type = type(objectName, objectType);
    if (type == Type.SSM_PARAMETER && !objectVersion.isEmpty() && !objectVersionLabel.isEmpty()) {
      throw BackendException.invalid("ssm parameters can not specify both objectVersion and"
          + " objectVersionLabel: " + objectName);
    }
    if (type == Type.SSM_PARAMETER && !objectVersion.isEmpty()
        && !objectVersion.matches("[0-9]{1,19}")) {
      throw BackendException.invalid("objectVersion of ssm parameter " + objectName + " is \""
          + objectVersion + "\"; give the parameter's version number");
    }
    String fileName = fileName(objectName, objectAlias, translation);
    checkPath(fileName, objectName);
    int mode = permission(filePermission, DEFAULT_FILE_PERMISSION);

    List<JmesEntry> jmes = new ArrayList<>();
    List<Fields> entries = f.list("jmesPath");
    if (entries.size() > MAX_JMES_PATHS) {
      throw BackendException.invalid("jmesPath of " + objectName + " has " + entries.size()
          + " entries; at most " + MAX_JMES_PATHS);
    }
    for (Fields entry : entries) {
      String path = entry.string("path");
      String alias = entry.string("objectAlias");
      if (path.isEmpty()) {
        throw BackendException.invalid("Path must be specified for JMES object");
      }
      if (alias.isEmpty()) {
        throw BackendException.invalid("Object alias must be specified for JMES object");
      }
      int entryMode = permission(entry.string("filePermission"), mode);
      String entryFile = fileName("", alias, translation);
      checkPath(entryFile, alias);
      jmes.add(new JmesEntry(path, JmesPath.compile(path), entryFile, entryMode));
    }

    Optional<Failover> failover = Optional.empty();
    Fields fo = f.map("failoverObject");
    Failover failoverObject = new Failover(fo.string("objectName"), fo.string("objectVersion"),
        fo.string("objectVersionLabel"));
    if (!failoverObject.objectName().isEmpty()) {
      if (objectAlias.isEmpty()) {
        throw BackendException.invalid("object alias must be specified for objects with failover"
            + " entries: " + objectName);
      }
      if (regions.size() < 2) {
        throw BackendException.invalid("failover object allowed only when failover region is"
            + " defined: " + objectName);
      }
      validateObjectName(failoverObject.objectName(), objectType, regions.get(1));
      if (type == Type.SSM_PARAMETER && !failoverObject.objectVersion().isEmpty()
          && !failoverObject.objectVersionLabel().isEmpty()) {
        throw BackendException.invalid("ssm parameters can not specify both objectVersion and"
            + " objectVersionLabel: " + objectName);
      }
      if (!failoverObject.objectVersion().equals(objectVersion)) {
        throw BackendException.invalid("object versions must match between primary and failover"
            + " regions: " + objectName);
      }
      failover = Optional.of(failoverObject);
    }
    return new Descriptor(objectName, objectAlias, objectVersion, objectVersionLabel, type,
        fileName, mode, List.copyOf(jmes), failover);
  }

  private static void checkPath(String fileName, String objectName) throws BackendException {
    if (BAD_PATH.matcher(fileName).find()) {
      throw BackendException.invalid("path can not contain ../: " + objectName);
    }
    if (fileName.isEmpty() || fileName.equals("..") || fileName.equals(".")
        || fileName.indexOf('\0') >= 0) {
      throw BackendException.invalid("object " + objectName + " gives the file name \"" + fileName
          + "\", which is not a file name; set objectAlias");
    }
  }

  private static int permission(String filePermission, int fallback) throws BackendException {
    if (filePermission.isEmpty()) {
      return fallback;
    }
    if (!FILE_PERMISSION.matcher(filePermission).matches()) {
      throw BackendException.invalid("Invalid File Permission: " + filePermission);
    }
    int mode = Integer.parseInt(filePermission, 8);
    if (mode > 0777) {
      // provider-aws accepts setuid/setgid/sticky digits; Passport writes no such file
      throw BackendException.invalid("Invalid File Permission: " + filePermission
          + "; Passport writes modes 0000 to 0777 only (the first digit must be 0)");
    }
    return mode;
  }

  private static Type type(String objectName, String objectType) {
    String type = objectType.isEmpty() ? objectName.split(":", -1)[2] : objectType;
    return type.equals("secretsmanager") ? Type.SECRETS_MANAGER : Type.SSM_PARAMETER;
  }

  /** provider-aws's {@code validateObjectName}, with its messages. */
  private static void validateObjectName(String objectName, String objectType, String region)
      throws BackendException {
    boolean hasArn = objectName.startsWith("arn:");
    String service = "";
    if (hasArn) {
      // aws-sdk-go-v2's arn.Parse: six sections, the last (resource) may contain ':'
      String[] sections = objectName.split(":", 6);
      if (sections.length != 6) {
        throw BackendException.invalid("Invalid ARN format in object name: " + objectName);
      }
      service = sections[2];
      if (!sections[3].equals(region)) {
        throw BackendException.invalid("ARN region must match region " + region + ": "
            + objectName);
      }
    }
    if (objectType.isEmpty() && !hasArn) {
      throw BackendException.invalid("Must use objectType when a full ARN is not specified: "
          + objectName);
    }
    boolean knownService = service.equals("secretsmanager") || service.equals("ssmparameter")
        || service.equals("ssm");
    if (objectType.isEmpty() && !knownService) {
      throw BackendException.invalid("Invalid service in ARN: " + service);
    }
    if (!objectType.isEmpty() && !objectType.equals("secretsmanager")
        && !objectType.equals("ssmparameter")) {
      throw BackendException.invalid("Invalid objectType: " + objectType);
    }
    if (!objectType.isEmpty() && hasArn
        && objectType.equals("secretsmanager") != service.equals("secretsmanager")) {
      throw BackendException.invalid("objectType does not match ARN: " + objectName);
    }
  }

  /** provider-aws's duplicate checks (its four cases and the alias set), with its messages. */
  private static void checkDuplicates(Descriptor d, Map<String, String[]> seenNames,
      Set<String> seenAliases) throws BackendException {
    String[] found = seenNames.get(d.objectName());
    if (found != null) {
      boolean descAlias = !d.objectAlias().isEmpty();
      boolean foundAlias = !found[0].isEmpty();
      boolean descLabel = !d.objectVersionLabel().isEmpty();
      boolean foundLabel = !found[1].isEmpty();
      String prefix = "found descriptor with duplicate object name " + d.objectName();
      if (descAlias && foundAlias && !descLabel && !foundLabel
          && d.objectAlias().equals(found[0])) {
        throw BackendException.invalid(prefix + ", duplicate object alias " + d.objectAlias()
            + ", and no version label");
      }
      if (!descAlias && !foundAlias && descLabel && foundLabel
          && d.objectVersionLabel().equals(found[1])) {
        throw BackendException.invalid(prefix + ", no object alias, and duplicate version label "
            + d.objectVersionLabel());
      }
      if (descAlias && foundAlias && descLabel && foundLabel
          && d.objectAlias().equals(found[0]) && d.objectVersionLabel().equals(found[1])) {
        throw BackendException.invalid(prefix + ", duplicate object alias " + d.objectAlias()
            + ", and duplicate version label " + d.objectVersionLabel());
      }
      if (!descAlias && !foundAlias && !descLabel && !foundLabel) {
        throw BackendException.invalid(prefix + ", no object alias, and no version label");
      }
    }
    seenNames.put(d.objectName(), new String[] {d.objectAlias(), d.objectVersionLabel()});
    if (seenAliases.contains(d.objectAlias())) {
      throw BackendException.invalid("found duplicate object alias " + d.objectAlias());
    }
    if (!d.objectAlias().isEmpty()) {
      seenAliases.add(d.objectAlias());
    }
    for (JmesEntry entry : d.jmesPath()) {
      // provider-aws compares the raw alias; Passport compares the translated file name, so two
      // aliases that become one file are refused too
      if (!seenAliases.add(aliasOf(entry))) {
        throw BackendException.invalid("Name already in use for objectAlias: found duplicate"
            + " object alias " + aliasOf(entry) + " in JMES path entry " + entry.path());
      }
    }
  }

  private static String aliasOf(JmesEntry entry) {
    return entry.fileName();
  }

  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    String line = message.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  /** A YAML mapping read as encoding/json fills a struct: keys in any case, last one wins. */
  private record Fields(Map<String, Object> byLowerKey, String where) {

    static final Fields EMPTY = new Fields(Map.of(), "");

    String string(String field) throws BackendException {
      Object value = byLowerKey.get(field.toLowerCase(Locale.ROOT));
      if (value == null) {
        return "";
      }
      if (!(value instanceof String s)) {
        throw BackendException.invalid("Failed to load SecretProviderClass: " + where + field
            + " must be a string, got " + describe(value) + "; quote it, e.g. " + field
            + ": \"" + value + "\"");
      }
      return s;
    }

    Fields map(String field) throws BackendException {
      Object value = byLowerKey.get(field.toLowerCase(Locale.ROOT));
      if (value == null) {
        return EMPTY;
      }
      if (!(value instanceof Map<?, ?> m)) {
        throw BackendException.invalid("Failed to load SecretProviderClass: " + where + field
            + " must be a mapping with objectName");
      }
      return fields(m, where + field + ".");
    }

    List<Fields> list(String field) throws BackendException {
      Object value = byLowerKey.get(field.toLowerCase(Locale.ROOT));
      if (value == null) {
        return List.of();
      }
      if (!(value instanceof List<?> l)) {
        throw BackendException.invalid("Failed to load SecretProviderClass: " + where + field
            + " must be a list of path and objectAlias");
      }
      List<Fields> out = new ArrayList<>();
      for (Object item : l) {
        if (!(item instanceof Map<?, ?> m)) {
          throw BackendException.invalid("Failed to load SecretProviderClass: each " + field
              + " entry must be a mapping with path and objectAlias");
        }
        out.add(fields(m, where + field + "."));
      }
      return out;
    }

    private static String describe(Object value) {
      return value instanceof Number ? "a number" : value instanceof Boolean ? "a boolean"
          : value instanceof List ? "a list" : value instanceof Map ? "a mapping" : "a value";
    }
  }

  private static Fields fields(Map<?, ?> map) {
    return fields(map, "");
  }

  private static Fields fields(Map<?, ?> map, String where) {
    Map<String, Object> byLower = new HashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      byLower.put(String.valueOf(e.getKey()).toLowerCase(Locale.ROOT), e.getValue());
    }
    return new Fields(byLower, where);
  }
}
