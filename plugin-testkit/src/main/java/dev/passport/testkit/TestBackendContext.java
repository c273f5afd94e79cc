package dev.passport.testkit;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A {@link BackendContext} for unit tests of a backend, without a host.
 *
 * <p>Defaults: a {@link FakeClock} standing at the current second (near real time, so tokens it
 * dates are also accepted by real servers), logger name {@code dev.passport.plugins.test}, a default
 * refresh interval of 5 minutes and node id {@code test-node}. It holds no resources; it is
 * {@link AutoCloseable} so that it can share a try-with-resources with the backend.
 *
 * <pre>{@code
 * FakeClock clock = FakeClock.at(Instant.parse("2026-01-01T00:00:00Z"));
 * try (TestBackendContext context = TestBackendContext.builder().clock(clock).build();
 *     Backend backend = new MyFactory().create(config, context)) {
 *   ...
 * }
 * }</pre>
 */
public final class TestBackendContext implements BackendContext, AutoCloseable {

  private final Clock clock;
  private final String loggerName;
  private final Duration defaultRefreshInterval;
  private final String nodeId;

  private TestBackendContext(Builder builder) {
    this.clock = builder.clock != null
        ? builder.clock
        : FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    this.loggerName = builder.loggerName;
    this.defaultRefreshInterval = builder.defaultRefreshInterval;
    this.nodeId = builder.nodeId;
  }

  /** A builder with the defaults described on the class. */
  public static Builder builder() {
    return new Builder();
  }

  /** A context with every default. */
  public static TestBackendContext create() {
    return builder().build();
  }

  @Override
  public Clock clock() {
    return clock;
  }

  /**
   * The clock as a {@link FakeClock}, for tests that move time.
   *
   * @throws IllegalStateException when the builder was given another kind of clock
   */
  public FakeClock fakeClock() {
    if (clock instanceof FakeClock fake) {
      return fake;
    }
    throw new IllegalStateException("this context runs on " + clock + ", not a FakeClock");
  }

  @Override
  public String loggerName() {
    return loggerName;
  }

  @Override
  public Duration defaultRefreshInterval() {
    return defaultRefreshInterval;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  /** Nothing to release. */
  @Override
  public void close() {}

  /** Builds a {@link TestBackendContext}; every setting is optional. */
  public static final class Builder {

    private Clock clock;
    private String loggerName = "dev.passport.plugins.test";
    private Duration defaultRefreshInterval = Duration.ofMinutes(5);
    private String nodeId = "test-node";

    private Builder() {}

    /** The clock the backend must use; a {@link FakeClock} lets the test move time. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock is null");
      return this;
    }

    /** The logger name the backend should log under. */
    public Builder loggerName(String loggerName) {
      this.loggerName = requireNonNull(loggerName, "loggerName is null");
      return this;
    }

    /** The refresh interval of material without a natural expiry. */
    public Builder defaultRefreshInterval(Duration interval) {
      requireNonNull(interval, "interval is null");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException(
            "defaultRefreshInterval is " + interval + ", must be positive");
      }
      this.defaultRefreshInterval = interval;
      return this;
    }

    /** The node name the backend sees. */
    public Builder nodeId(String nodeId) {
      requireNonNull(nodeId, "nodeId is null");
      if (nodeId.isBlank()) {
        throw new IllegalArgumentException("nodeId is blank");
      }
      this.nodeId = nodeId;
      return this;
    }

    /** A context with these settings; close it when done. */
    public TestBackendContext build() {
      return new TestBackendContext(this);
    }
  }
}
