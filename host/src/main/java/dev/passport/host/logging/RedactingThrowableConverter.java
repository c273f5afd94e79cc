package dev.passport.host.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;

/**
 * {@code %ex} of the text log format: the stack trace as logback renders it, with tokens masked
 * in the whole and control characters escaped in each exception's message, so that a message
 * cannot add lines that look like log events.
 */
public final class RedactingThrowableConverter extends ThrowableProxyConverter {

  @Override
  protected String throwableProxyToString(IThrowableProxy proxy) {
    return LogRedaction.redact(super.throwableProxyToString(new EscapedProxy(proxy)));
  }

  /** The same throwable, its message (and its causes' and suppressed ones') on one line. */
  private record EscapedProxy(IThrowableProxy delegate) implements IThrowableProxy {

    @Override
    public String getMessage() {
      return LogRedaction.escapeControl(delegate.getMessage());
    }

    @Override
    public String getOverridingMessage() {
      return LogRedaction.escapeControl(delegate.getOverridingMessage());
    }

    @Override
    public String getClassName() {
      return delegate.getClassName();
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return delegate.getStackTraceElementProxyArray();
    }

    @Override
    public int getCommonFrames() {
      return delegate.getCommonFrames();
    }

    @Override
    public IThrowableProxy getCause() {
      return delegate.getCause() == null ? null : new EscapedProxy(delegate.getCause());
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      IThrowableProxy[] suppressed = delegate.getSuppressed();
      if (suppressed == null) {
        return null;
      }
      IThrowableProxy[] escaped = new IThrowableProxy[suppressed.length];
      for (int i = 0; i < suppressed.length; i++) {
        escaped[i] = new EscapedProxy(suppressed[i]);
      }
      return escaped;
    }

    @Override
    public boolean isCyclic() {
      return delegate.isCyclic();
    }
  }
}
