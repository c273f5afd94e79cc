package dev.passport.host.cache;

/** What a publish or republish of one volume must do, as {@link RefreshRule#decide} says. */
public enum RefreshDecision {
  /** Not due and the volume holds what was written: no backend call, no write. */
  SERVE,
  /** Not due, and the volume has content not yet proven to be what was written: check it, then decide again. */
  VERIFY,
  /** Not due, but the volume was lost or tampered with: rewrite it from the cached material. */
  RESTORE,
  /** A refresh failed recently and the volume keeps content: answer UNAVAILABLE without a backend call. */
  BACK_OFF,
  /** Due, token rotated, attributes changed, or nothing usable known: call the backend. */
  FETCH
}
