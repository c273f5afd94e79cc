package dev.passport.host.cli;

/**
 * A subcommand contributed by another jar on the class path (found with {@link java.util.ServiceLoader}):
 * the testkit adds {@code kubelet} and {@code demo} this way, without the host depending on it.
 */
public interface CliExtension {

  /** The subcommand's name, e.g. {@code kubelet}. */
  String name();

  /** A picocli command object (annotated with {@code @Command}). */
  Object command();
}
