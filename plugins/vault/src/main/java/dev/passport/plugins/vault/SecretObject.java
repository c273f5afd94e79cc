package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.invalid;

import dev.passport.api.BackendException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of the {@code objects} attribute: a file of the volume and the Vault request behind it.
 *
 * @param objectName the file name
 * @param apiPath the API path without {@code /v1/}, with its query string, e.g.
 *     {@code secret/data/app?version=3}
 * @param method GET, PUT or POST
 * @param secretKey the key to pick from the response's data; empty: the whole response JSON
 * @param secretArgs the JSON body of a PUT or POST
 * @param encoding how the picked value is encoded in Vault; it is decoded before it is written
 * @param mode the file's permission bits
 */
record SecretObject(
    String objectName,
    String apiPath,
    String method,
    Optional<String> secretKey,
    Map<String, Object> secretArgs,
    Encoding encoding,
    int mode) {

  SecretObject {
    secretArgs = Collections.unmodifiableMap(new LinkedHashMap<>(secretArgs));
  }

  /** How a value is stored in Vault (vault-csi-provider's {@code encoding}). */
  enum Encoding {
    UTF_8, BASE64, HEX;

    static Encoding parse(String value, String where) throws BackendException {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "utf-8", "utf8" -> UTF_8;
        case "base64" -> BASE64;
        case "hex" -> HEX;
        default -> throw invalid("volume attribute " + where + " is \"" + value
            + "\"; it must be utf-8, base64 or hex");
      };
    }
  }
}
