/**
 * Test support for Passport plugin authors (test scope).
 *
 * <ul>
 *   <li>{@link dev.passport.testkit.ServiceAccountTokens} mints pod tokens shaped like kubelet's
 *       bound service-account tokens, publishes their JWKS and OIDC discovery document, and
 *       verifies them as a backend would;
 *   <li>{@link dev.passport.conformance.FakeKubelet} drives a running host over its Unix socket as
 *       kubelet does: inline volume ids, pod info keys, tokens, fsGroup, republish with token
 *       rotation at 80 % of their TTL, unpublish;
 *   <li>{@link dev.passport.conformance.BackendConformance} is the JUnit 5 suite every plugin extends;
 *   <li>{@link dev.passport.testkit.LogCapture} and {@link dev.passport.testkit.LogHygiene} prove
 *       that no token reached a log line, an error or a metrics scrape;
 *   <li>{@link dev.passport.testkit.FakeClock}, {@link dev.passport.testkit.TestBackendContext}
 *       and {@link dev.passport.testkit.Pods} for unit tests of a backend without a host.
 * </ul>
 */
package dev.passport.testkit;
