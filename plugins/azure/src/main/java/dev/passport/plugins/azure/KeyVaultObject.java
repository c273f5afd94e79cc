package dev.passport.plugins.azure;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * One entry of provider-azure's {@code objects} array, whitespace trimmed as it trims it.
 *
 * @param name the Key Vault object name
 * @param type {@code secret}, {@code key} or {@code cert}
 * @param version the version, empty or {@code latest} for the newest
 * @param alias the file name, empty for the object name
 * @param format {@code pem} (default) or {@code pfx}
 * @param encoding {@code utf-8} (default), {@code hex} or {@code base64}; secrets only
 * @param mode the file mode from {@code filePermission}, else the host's default
 * @param versionHistory how many versions to write (more than 1: a directory of them)
 */
record KeyVaultObject(
    String name,
    String type,
    String version,
    String alias,
    String format,
    String encoding,
    OptionalInt mode,
    int versionHistory) {

  static final String SECRET = "secret";
  static final String KEY = "key";
  static final String CERT = "cert";

  /** The file name: the alias, else the object name. */
  String fileName() {
    return alias.isEmpty() ? name : alias;
  }

  boolean latest() {
    return version.isEmpty() || version.equals("latest");
  }

  /** Whether the file(s) can change without the volume changing. */
  boolean pinned() {
    return !latest() && versionHistory <= 1;
  }

  /** The version asked of Key Vault; the SDK asks for the newest with an empty one. */
  String requestVersion() {
    return latest() ? "" : version;
  }

  boolean pfx() {
    return format.equalsIgnoreCase("pfx");
  }

  Optional<String> encodingName() {
    return encoding.isEmpty() ? Optional.empty() : Optional.of(encoding);
  }

  /** How errors name it, as provider-azure does. */
  String describe() {
    return "objectType:" + type + ", objectName:" + name + ", objectVersion:" + version;
  }
}
