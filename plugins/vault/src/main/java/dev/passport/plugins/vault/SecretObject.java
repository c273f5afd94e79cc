package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.invalid;

import dev.passport.api.BackendException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of the {@code objects} attribute: a file of the volume and the Vault request behind it.
 *
 * @param objectName the file name
 * @param apiPath the API path without {@code /v1/}, percent-encoded as Go's {@code net/url} does,
 *     with its query string re-encoded as Go's {@code url.Values.Encode} does, e.g.
 *     {@code secret/data/my%20app?version=3}
 * @param method GET, PUT or POST ({@code LIST} is sent as GET with {@code list=true})
 * @param secretKey the key to pick from the response's data; empty: the whole response JSON
 * @param secretArgs the JSON body of a PUT or POST, as Go values ({@link YamlV3#toGo})
 * @param encoding how the picked value is encoded in Vault; it is decoded before it is written
 * @param mode the file's permission bits; empty (absent or 0): the host's default file mode
 */
record SecretObject(
    String objectName,
    String apiPath,
    String method,
    Optional<String> secretKey,
    Map<String, Object> secretArgs,
    Encoding encoding,
    Optional<Integer> mode) {

  SecretObject {
    secretArgs = Collections.unmodifiableMap(new LinkedHashMap<>(secretArgs));
  }

  /** The request body: {@code secretArgs} as Go's {@code json.Marshal} writes it (vault-csi-provider's SetJSONBody). */
  byte[] requestBody() {
    StringBuilder out = new StringBuilder();
    GoJson.appendGo(out, secretArgs);
    return GoJson.utf8(out);
  }

  /** How a value is stored in Vault (vault-csi-provider's {@code encoding}). */
  enum Encoding {
    UTF_8, BASE64, HEX;

    /** As vault-csi-provider: {@code utf-8}, {@code base64} or {@code hex}, any case; empty is utf-8. */
    static Encoding parse(String value, String where) throws BackendException {
      if (value.isEmpty() || value.equalsIgnoreCase("utf-8")) {
        return UTF_8;
      }
      if (value.equalsIgnoreCase("base64")) {
        return BASE64;
      }
      if (value.equalsIgnoreCase("hex")) {
        return HEX;
      }
      throw invalid("volume attribute " + where + " is \"" + value
          + "\"; it must be utf-8, base64 or hex (as in vault-csi-provider)");
    }
  }
}
