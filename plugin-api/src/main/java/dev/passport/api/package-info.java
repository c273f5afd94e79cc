/**
 * Passport's plugin API, version 1.
 *
 * <p>A backend plugin turns a pod's identity and its bound service-account tokens into files for a
 * volume. The host finds plugins with {@link java.util.ServiceLoader} ({@link BackendFactory}),
 * creates one {@link Backend} per plugin, and calls {@link Backend#fetch(FetchRequest)} on publish
 * and on every republish that is due.
 *
 * <p>This package depends on the JDK only, so that the host and each plugin can bring their own
 * versions of every library. New capabilities arrive as {@code default} methods; a plugin compiled
 * against an older version keeps loading.
 */
package dev.passport.api;
