/**
 * Passport's plugin API, version 1 ({@link dev.passport.api.PluginApi}).
 *
 * <p>A backend plugin turns a pod's identity and its bound service-account tokens into files for a
 * volume. The host finds plugins with {@link java.util.ServiceLoader} ({@link BackendFactory}),
 * creates one {@link Backend} per plugin, asks it to {@link Backend#prepare prepare} each distinct
 * set of volume attributes once, and calls {@link Backend#fetch} on publish and on every
 * republish that is due.
 *
 * <p>This package depends on the JDK only, so that the host and each plugin can bring their own
 * versions of every library. New capabilities arrive as {@code default} methods and as new
 * factory or builder methods of the value types (which have no public constructors, so they can
 * grow); a plugin compiled against an older minor version keeps loading. What may still change is
 * marked {@link Experimental}.
 */
package dev.passport.api;
