package dev.passport.support;

import dev.passport.api.BackendException;
import java.io.IOException;

/**
 * The I/O failure a budgeted read ends with when its {@link dev.passport.api.ByteBudget} refuses
 * more bytes: an {@link IOException}, so that it passes through HTTP clients and parsers, carrying
 * the {@link BackendException} the plugin should throw ({@link BoundedReads#budgetFailure}).
 */
public final class BudgetExceededException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient BackendException failure;

  public BudgetExceededException(BackendException failure) {
    super(failure.getMessage());
    this.failure = failure;
  }

  /** What the plugin should answer: RESOURCE_EXHAUSTED naming the limit. */
  public BackendException failure() {
    return failure;
  }
}
