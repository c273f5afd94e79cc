package dev.passport.host.cli;

import dev.passport.host.HostStartException;
import dev.passport.host.logging.ProductionLogging;
import dev.passport.host.PassportHost;
import dev.passport.host.plugins.PluginLoadException;
import java.util.ServiceLoader;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code passport}: the command line. Subcommands beyond {@code serve} come from {@link CliExtension}s. */
@Command(
    name = "passport",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A Kubernetes CSI node driver that fetches secrets and certificates as the pod.",
    subcommands = {ServeCommand.class, WarmupCommand.class})
public final class Main implements Runnable {

  /** The exit code of a host that refused to start. */
  static final int EXIT_REFUSED = 2;

  public static void main(String[] args) {
    ProductionLogging.installJulBridge();
    System.exit(commandLine().execute(args));
  }

  /** The command line with every subcommand, including extensions on the class path. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    for (CliExtension extension : ServiceLoader.load(CliExtension.class)) {
      cli.addSubcommand(extension.name(), extension.command());
    }
    return cli.setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(Main::refusedToStart);
  }

  /**
   * A known misconfiguration (another host on the socket or state dir, a plugin that does not
   * load) is one line for the operator and a non-zero exit, never a stack trace; anything else
   * keeps picocli's report.
   */
  static int refusedToStart(Exception e, CommandLine command, CommandLine.ParseResult parsed)
      throws Exception {
    if (e instanceof HostStartException || e instanceof PluginLoadException) {
      // The line says what to change; the trace is for developers, at DEBUG only.
      LoggerFactory.getLogger(Main.class).debug("refused to start", e);
      command.getErr().println("passport " + command.getCommandName() + ": " + e.getMessage());
      command.getErr().flush();
      return EXIT_REFUSED;
    }
    throw e;
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** Reports the jar's Implementation-Version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"passport " + PassportHost.VERSION};
    }
  }
}
