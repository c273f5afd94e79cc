package dev.passport.plugins.azure;

import dev.passport.api.BackendException;
import dev.passport.api.PreparedVolume;
import dev.passport.support.Settings;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A volume's provider-azure parameters, parsed once. Pods control all of them: each is bounded
 * here (see the plugin README and sec21-azure.md).
 */
record AzureVolume(
    String keyvaultName,
    Optional<String> tenantId,
    Optional<String> clientId,
    AzureCloud cloud,
    List<KeyVaultObject> objects,
    Set<String> ignored) implements PreparedVolume {

  /** The audience provider-azure's workload identity asks kubelet for. */
  static final String AUDIENCE = "api://AzureADTokenExchange";

  static final String KEYVAULT_NAME = "keyvaultName";
  static final String TENANT_ID = "tenantId";
  static final String TENANT_ID_NEW = "tenantID";
  static final String CLIENT_ID = "clientID";
  static final String CLOUD_NAME = "cloudName";
  static final String OBJECTS = "objects";
  static final String USE_POD_IDENTITY = "usePodIdentity";
  static final String USE_VM_MANAGED_IDENTITY = "useVMManagedIdentity";
  static final String USE_AZURE_TOKEN_PROXY = "useAzureTokenProxy";
  static final String USER_ASSIGNED_IDENTITY_ID = "userAssignedIdentityID";
  static final String CLOUD_ENV_FILE_NAME = "cloudEnvFileName";

  static final int MAX_OBJECTS_BYTES = 64 * 1024;
  static final int MAX_OBJECTS = 100;
  static final int MAX_VERSION_HISTORY = 100;
  // Key Vault's own rules for object names and versions: they become URL path segments
  static final Pattern OBJECT_NAME = Pattern.compile("[0-9A-Za-z-]{1,127}");
  static final Pattern OBJECT_VERSION = Pattern.compile("[0-9A-Za-z]{1,64}");
  // provider-azure's vault name rule; it also keeps the name one DNS label of the template
  static final Pattern VAULT_NAME = Pattern.compile("[-A-Za-z0-9]{3,24}");
  // Entra application (client) ids are GUIDs
  static final Pattern GUID = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Set<String> OBJECT_KEYS = Set.of("objectName", "objectAlias",
      "objectVersion", "objectVersionHistory", "objectType", "objectFormat", "objectEncoding",
      "filePermission");

  AzureVolume {
    objects = List.copyOf(objects);
    ignored = Set.copyOf(ignored);
  }

  @Override
  public Set<String> audiences() {
    return Set.of(AUDIENCE);
  }

  boolean allPinned() {
    return objects.stream().allMatch(KeyVaultObject::pinned);
  }

  static AzureVolume parse(Map<String, String> attributes, AzureConfig config)
      throws BackendException {
    Settings settings = Settings.attributes(attributes);
    refuseMode(settings, USE_POD_IDENTITY, "aad-pod-identity (deprecated by Microsoft)");
    refuseMode(settings, USE_VM_MANAGED_IDENTITY, "the node's VM managed identity, shared by"
        + " every pod on the node");
    refuseMode(settings, USE_AZURE_TOKEN_PROXY, "AKS identity binding's token proxy");
    if (settings.has(CLOUD_ENV_FILE_NAME)) {
      throw settings.invalid(CLOUD_ENV_FILE_NAME, settings.optional(CLOUD_ENV_FILE_NAME).get(),
          "a volume cannot choose endpoints; the operator sets " + AzureConfig.AUTHORITY_HOST
              + " and " + AzureConfig.KEY_VAULT_ENDPOINT + " in " + AzureConfig.FILE
              + " for a custom cloud: remove " + CLOUD_ENV_FILE_NAME);
    }
    String vault = AzureConfig.stripped(settings, KEYVAULT_NAME).orElseThrow(() ->
        BackendException.invalid("keyvaultName is not provided: set it to the name of the key"
            + " vault"));
    if (!VAULT_NAME.matcher(vault).matches()) {
      throw settings.invalid(KEYVAULT_NAME, vault, "must match [-a-zA-Z0-9]{3,24}");
    }
    // provider-azure reads tenantID first and falls back to the older tenantId
    Optional<String> tenant = AzureConfig.stripped(settings, TENANT_ID_NEW)
        .or(() -> AzureConfig.stripped(settings, TENANT_ID));
    if (tenant.isPresent()) {
      AzureConfig.checkTenant(settings,
          AzureConfig.stripped(settings, TENANT_ID_NEW).isPresent() ? TENANT_ID_NEW : TENANT_ID,
          tenant.get());
    } else if (config.tenantId().isEmpty()) {
      throw BackendException.invalid("tenantId is not provided: set tenantId (or tenantID) to the"
          + " vault's Entra tenant, or the operator sets tenantId in " + AzureConfig.FILE);
    }
    Optional<String> client = AzureConfig.stripped(settings, CLIENT_ID);
    if (client.isPresent() && !GUID.matcher(client.get()).matches()) {
      throw settings.invalid(CLIENT_ID, client.get(),
          "give the client id (a GUID) of the managed identity or application");
    }
    if (client.isEmpty() && config.kubernetes().isEmpty()) {
      throw BackendException.invalid("clientID is not provided: Passport reads Key Vault as the"
          + " pod (workload identity); set clientID to the client id of the identity federated"
          + " with the pod's service account (service principal secrets are not used)");
    }
    AzureCloud cloud = config.cloud();
    Optional<String> cloudName = AzureConfig.stripped(settings, CLOUD_NAME);
    if (cloudName.isPresent()) {
      cloud = AzureCloud.named(cloudName.get()).orElseThrow(() ->
          settings.invalid(CLOUD_NAME, cloudName.get(), AzureConfig.cloudRule()));
    }
    String objects = AzureConfig.stripped(settings, OBJECTS).orElseThrow(() ->
        BackendException.invalid("objects is not set: list the Key Vault objects to mount"));
    Set<String> ignored = new TreeSet<>(settings.known(KEYVAULT_NAME, TENANT_ID, TENANT_ID_NEW,
        CLIENT_ID, CLOUD_NAME, OBJECTS, USE_POD_IDENTITY, USE_VM_MANAGED_IDENTITY,
        USE_AZURE_TOKEN_PROXY, CLOUD_ENV_FILE_NAME).unknownKeys());
    return new AzureVolume(vault, tenant, client, cloud, parseObjects(objects, ignored), ignored);
  }

  private static void refuseMode(Settings settings, String key, String what)
      throws BackendException {
    if (settings.goBool(key, false)) {
      throw settings.invalid(key, settings.optional(key).orElse(""), "Passport does not read Key"
          + " Vault with " + what + ": it authenticates as the pod, with the pod's own service"
          + " account token (Entra workload identity). Federate the identity with the pod's"
          + " service account, set clientID (or annotate the service account with "
          + ServiceAccountAnnotations.CLIENT_ID + ") and remove " + key);
    }
  }

  static List<KeyVaultObject> parseObjects(String objects, Set<String> ignored)
      throws BackendException {
    if (objects.length() > MAX_OBJECTS_BYTES) {
      throw BackendException.invalid("objects is " + objects.length() + " characters; at most "
          + MAX_OBJECTS_BYTES);
    }
    Map<String, Node> root = mapping(compose(objects, "objects"));
    if (root == null) {
      throw BackendException.invalid("failed to yaml unmarshal objects: write array: followed by"
          + " a list of YAML strings, as provider-azure reads it");
    }
    Node array = root.get("array");
    if (array == null || isNull(array)) {
      return List.of();
    }
    if (!(array instanceof SequenceNode list)) {
      throw BackendException.invalid("failed to yaml unmarshal objects: array must be a list of"
          + " YAML strings");
    }
    List<Node> items = list.getValue();
    if (items.size() > MAX_OBJECTS) {
      throw BackendException.invalid("objects lists " + items.size() + " objects; at most "
          + MAX_OBJECTS + " per volume");
    }
    List<KeyVaultObject> parsed = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      if (!(items.get(i) instanceof ScalarNode item) || isNull(item)) {
        throw BackendException.invalid("unmarshal failed for keyVaultObjects at index " + i
            + ": each item of array is a YAML string (write - | and the object's fields)");
      }
      parsed.add(parseObject(item.getValue(), i, ignored));
    }
    return parsed;
  }

  private static KeyVaultObject parseObject(String text, int index, Set<String> ignored)
      throws BackendException {
    Node loaded = compose(text, "keyVaultObjects at index " + index);
    Map<String, Node> fields = loaded == null || isNull(loaded) ? Map.of() : mapping(loaded);
    if (fields == null) {
      throw BackendException.invalid("unmarshal failed for keyVaultObjects at index " + index
          + ": write the object's fields (objectName: ..., objectType: ...)");
    }
    for (String key : fields.keySet()) {
      if (!OBJECT_KEYS.contains(key)) {
        ignored.add("objects[" + index + "]." + key);
      }
    }
    String name = field(fields, "objectName", index);
    String type = field(fields, "objectType", index);
    String version = field(fields, "objectVersion", index);
    String alias = field(fields, "objectAlias", index);
    String format = field(fields, "objectFormat", index);
    String encoding = field(fields, "objectEncoding", index);
    String permission = field(fields, "filePermission", index);
    int history = history(fields.get("objectVersionHistory"), index);
    String where = "objects[" + index + "] (objectType:" + type + ", objectName:" + name + ")";
    if (!type.equals(KeyVaultObject.SECRET) && !type.equals(KeyVaultObject.KEY)
        && !type.equals(KeyVaultObject.CERT)) {
      throw BackendException.invalid(where + ": Invalid vaultObjectTypes. Should be secret, key,"
          + " or cert");
    }
    if (!OBJECT_NAME.matcher(name).matches()) {
      throw BackendException.invalid(where + ": objectName must be a Key Vault object name"
          + " (1-127 letters, digits and -)");
    }
    if (!version.isEmpty() && !version.equals("latest")
        && !OBJECT_VERSION.matcher(version).matches()) {
      throw BackendException.invalid(where + ": objectVersion must be a Key Vault version id"
          + " (letters and digits), latest, or empty");
    }
    if (!format.isEmpty()) {
      if (!format.equalsIgnoreCase("pem") && !format.equalsIgnoreCase("pfx")) {
        throw BackendException.invalid(where + ": invalid objectFormat: " + format
            + ", should be PEM or PFX");
      }
      if (format.equals("pfx") && !type.equals(KeyVaultObject.SECRET)) {
        throw BackendException.invalid(where + ": PFX format only supported for objectType:"
            + " secret");
      }
    }
    if (!encoding.isEmpty()) {
      if (!type.equals(KeyVaultObject.SECRET)) {
        throw BackendException.invalid(where + ": objectEncoding only supported for objectType:"
            + " secret");
      }
      if (!encoding.equalsIgnoreCase("hex") && !encoding.equalsIgnoreCase("base64")
          && !encoding.equalsIgnoreCase("utf-8")) {
        throw BackendException.invalid(where + ": invalid objectEncoding: " + encoding
            + ", should be hex, base64 or utf-8");
      }
    }
    String fileName = alias.isEmpty() ? name : alias;
    checkFileName(where, fileName);
    OptionalInt mode = OptionalInt.empty();
    if (!permission.isEmpty()) {
      int parsed;
      try {
        parsed = Integer.parseInt(permission, 8);
      } catch (NumberFormatException e) {
        parsed = -1;
      }
      if (parsed < 0 || parsed > 0777) {
        throw BackendException.invalid(where + ": file permission must be a valid octal number"
            + " from 0000 to 0777, e.g. \"0440\"; got \"" + permission + "\"");
      }
      mode = OptionalInt.of(parsed);
    }
    return new KeyVaultObject(name, type, version, alias, format, encoding, mode, history);
  }

  /** provider-azure's validateFileName, and at most 255 bytes a name. */
  private static void checkFileName(String where, String fileName) throws BackendException {
    if (fileName.startsWith("/")) {
      throw BackendException.invalid(where + ": file name must be a relative path");
    }
    if (fileName.contains("..")) {
      throw BackendException.invalid(where + ": file name must not contain '..'");
    }
    if (fileName.length() > 255) {
      throw BackendException.invalid(where + ": file name is longer than 255 characters");
    }
  }

  /**
   * A string field as Go's yaml.v3 fills one: the scalar's text as written ({@code 0755} stays
   * {@code "0755"}, where a YAML 1.1 reader would make it the number 493), null as empty.
   */
  private static String field(Map<String, Node> fields, String key, int index)
      throws BackendException {
    Node value = fields.get(key);
    if (value == null || isNull(value)) {
      return "";
    }
    if (!(value instanceof ScalarNode scalar)) {
      throw BackendException.invalid("unmarshal failed for keyVaultObjects at index " + index
          + ": " + key + " must be a string");
    }
    return scalar.getValue().strip();
  }

  /** objectVersionHistory, an int32 to Go: a plain integer scalar (a quoted one is refused). */
  private static int history(Node value, int index) throws BackendException {
    if (value == null || isNull(value)) {
      return 0;
    }
    OptionalLong parsed = value instanceof ScalarNode scalar && scalar.getTag().equals(Tag.INT)
        && scalar.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN
        ? goInt(scalar.getValue()) : OptionalLong.empty();
    if (parsed.isEmpty()) {
      throw BackendException.invalid("unmarshal failed for keyVaultObjects at index " + index
          + ": objectVersionHistory must be an integer");
    }
    long history = parsed.getAsLong();
    if (history > MAX_VERSION_HISTORY) {
      throw BackendException.invalid("objects[" + index + "]: objectVersionHistory is " + history
          + "; at most " + MAX_VERSION_HISTORY);
    }
    return (int) Math.max(history, 0);
  }

  /** Go's {@code strconv.ParseInt(s, 0, 32)}, which yaml.v3 uses: sign, 0x/0o/0b/0 prefixes, _. */
  static OptionalLong goInt(String text) {
    String s = text.replace("_", "");
    boolean negative = s.startsWith("-");
    if (negative || s.startsWith("+")) {
      s = s.substring(1);
    }
    int radix = 10;
    String lower = s.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith("0x") || lower.startsWith("0o") || lower.startsWith("0b")) {
      radix = lower.charAt(1) == 'x' ? 16 : lower.charAt(1) == 'o' ? 8 : 2;
      s = s.substring(2);
    } else if (s.length() > 1 && s.startsWith("0")) {
      radix = 8;
      s = s.substring(1);
    }
    String digits = s;
    int base = radix;
    if (digits.isEmpty() || digits.length() > 40
        || !digits.chars().allMatch(c -> Character.digit(c, base) >= 0)) {
      return OptionalLong.empty();
    }
    java.math.BigInteger value = new java.math.BigInteger(digits, base);
    if (negative) {
      value = value.negate();
    }
    if (value.bitLength() > 31) {
      return OptionalLong.empty(); // out of int32's range
    }
    return OptionalLong.of(value.longValue());
  }

  private static boolean isNull(Node node) {
    return node instanceof ScalarNode && node.getTag().equals(Tag.NULL);
  }

  /** A mapping's entries by key text; null for any other node. Duplicate keys are refused. */
  private static Map<String, Node> mapping(Node node) throws BackendException {
    if (!(node instanceof MappingNode mapping)) {
      return null;
    }
    Map<String, Node> entries = new LinkedHashMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      String key = tuple.getKeyNode() instanceof ScalarNode k ? k.getValue() : "";
      if (entries.put(key, tuple.getValueNode()) != null) {
        // yaml.v3 refuses it too ("mapping key already defined")
        throw BackendException.invalid("failed to yaml unmarshal objects: mapping key \"" + key
            + "\" already defined");
      }
    }
    return entries;
  }

  private static Node compose(String text, String what) throws BackendException {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(0);
    options.setNestingDepthLimit(10);
    options.setCodePointLimit(MAX_OBJECTS_BYTES);
    try {
      return new Yaml(options).compose(new StringReader(text));
    } catch (YAMLException e) {
      String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      throw BackendException.invalid("failed to yaml unmarshal " + what + ": " + message);
    }
  }
}
