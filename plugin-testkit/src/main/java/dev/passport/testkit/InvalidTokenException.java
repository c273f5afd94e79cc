package dev.passport.testkit;

/**
 * A token that {@link ServiceAccountTokens#verify} rejected. The message gives the reason (bad
 * signature, wrong audience, expired…) and never the token, so fakes can return it to the backend
 * under test verbatim.
 */
public final class InvalidTokenException extends Exception {

  private static final long serialVersionUID = 1L;

  /** A rejection with a reason that contains no token. */
  public InvalidTokenException(String reason) {
    super(reason);
  }
}
