package dev.passport.host;

import dev.passport.api.BackendContext;
import java.time.Clock;
import java.time.Duration;

/** What the host hands each plugin. */
record HostBackendContext(
    Clock clock,
    String loggerName,
    Duration defaultRefreshInterval,
    String nodeId) implements BackendContext {}
