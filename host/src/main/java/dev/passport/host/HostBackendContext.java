package dev.passport.host;

import dev.passport.api.BackendContext;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/** What the host hands each plugin. */
record HostBackendContext(
    Clock clock,
    String loggerName,
    ScheduledExecutorService executor,
    Duration defaultRefreshInterval,
    String nodeId) implements BackendContext {}
