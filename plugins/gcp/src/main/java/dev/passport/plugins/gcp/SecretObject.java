package dev.passport.plugins.gcp;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * One entry of the {@code secrets} attribute: which version to read and where to write it.
 *
 * @param resource the secret version
 * @param path the file's path inside the volume
 * @param mode the file's permission bits, or empty for the host default
 * @param extraction which key to pull out of a JSON or YAML payload, if any
 * @param base64 whether the (extracted) content is base64 and the file gets it decoded
 */
record SecretObject(
    ResourceName resource, String path, OptionalInt mode, Optional<Extraction> extraction,
    boolean base64) {

  /** A key to extract from a structured payload. */
  record Extraction(Format format, String key) {}

  /** The payload formats key extraction understands. */
  enum Format {
    JSON,
    YAML
  }
}
