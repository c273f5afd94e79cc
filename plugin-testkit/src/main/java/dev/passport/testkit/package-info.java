/**
 * Test support for Passport plugin authors (test scope); it needs no host and no gRPC.
 *
 * <ul>
 *   <li>{@link dev.passport.testkit.ServiceAccountTokens} mints pod tokens shaped like kubelet's
 *       bound service-account tokens, publishes their JWKS and OIDC discovery document, and
 *       verifies them as a backend would;
 *   <li>{@link dev.passport.testkit.FetchRequests} builds the request the host would hand a
 *       backend: pod, tokens by audience, deadline on the test's clock, previous material;
 *   <li>{@link dev.passport.testkit.LogCapture} and {@link dev.passport.testkit.LogHygiene} prove
 *       that no token reached a log line, an error or a metrics scrape;
 *   <li>{@link dev.passport.testkit.FakeClock}, {@link dev.passport.testkit.TestBackendContext}
 *       and {@link dev.passport.testkit.Pods} for unit tests of a backend without a host;
 *   <li>{@link dev.passport.testkit.PluginDirectoryBuilder} lays out a plugin directory as the
 *       host loads it, and {@link dev.passport.testkit.TestPki} is a throwaway CA for TLS fakes.
 * </ul>
 *
 * <p>The conformance suite and the fake kubelet, which need a running host, are in
 * {@code plugin-conformance} ({@code dev.passport.conformance}).
 */
package dev.passport.testkit;
