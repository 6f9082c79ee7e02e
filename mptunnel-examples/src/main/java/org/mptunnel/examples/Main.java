package org.mptunnel.examples;

import java.io.PrintWriter;
import org.mptunnel.examples.cli.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The one entry point of {@code mptunnel.jar}: its first argument picks the tool. User errors end
 * with one {@code error:} line, the tool's usage and status 2; never with a stack trace.
 */
@Command(name = "java -jar mptunnel.jar",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        synopsisSubcommandLabel = "TOOL",
        description = "Multipath UDP tunnel: every datagram over several paths, the first copy wins.%n"
                + "Each tool has --help.",
        subcommands = {ClientCommand.class, ServerCommand.class, BridgeCommand.class, KeyCommand.class, DemoCommand.class})
public final class Main implements Runnable {

    /** Status for a mistake the user can fix. */
    public static final int USER_ERROR = 2;
    /** Status for anything else: a bug or a failure of the machine. */
    public static final int INTERNAL_ERROR = 1;

    @Spec
    CommandSpec spec;

    /** Runs a tool and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a tool and returns its status, without exiting. */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setParameterExceptionHandler(USAGE_ERROR);
        commandLine.setExecutionExceptionHandler(EXECUTION_ERROR);
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a tool: mpclient, mpserver, mpbridge, mpkey or demo");
    }

    private static final IParameterExceptionHandler USAGE_ERROR = (ex, args) -> {
        CommandLine cmd = ex.getCommandLine();
        printUserError(cmd, ex.getMessage());
        return USER_ERROR;
    };

    private static final IExecutionExceptionHandler EXECUTION_ERROR = (ex, cmd, parseResult) -> {
        if (ex instanceof UserError) {
            printUserError(cmd, ex.getMessage());
            return USER_ERROR;
        }
        PrintWriter err = cmd.getErr();
        err.println("error: " + ex);
        if ("debug".equals(System.getProperty("org.slf4j.simpleLogger.defaultLogLevel"))) {
            ex.printStackTrace(err);
        } else {
            err.println("(run with -v for details)");
        }
        err.flush();
        return INTERNAL_ERROR;
    };

    private static void printUserError(CommandLine cmd, String message) {
        PrintWriter err = cmd.getErr();
        err.println("error: " + message);
        cmd.usage(err);
        err.flush();
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"mptunnel " + (version != null ? version : "(development build)")};
        }
    }
}
