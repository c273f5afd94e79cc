package dev.passport.examples.tokenexchange;

import dev.passport.api.PreparedVolume;
import java.util.Optional;
import java.util.Set;

/**
 * A volume's attributes, parsed once by {@link TokenExchangeBackend#prepare}: immutable, no tokens,
 * nothing per pod. The host hands it to every fetch of a volume with these attributes.
 *
 * @param scope the OAuth scope to ask for, if any
 * @param file the file the access token is written to
 * @param audience the audience of the pod token the endpoint accepts (from the configuration)
 */
record ExchangeVolume(Optional<String> scope, String file, String audience)
    implements PreparedVolume {

  @Override
  public Set<String> audiences() {
    return Set.of(audience);
  }
}
