import ArgumentParser
import Logging

/// Logging and output shape, shared by every command.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log what happens (repeat for debug detail).")
    var verbose: Int

    @Flag(name: .shortAndLong, help: "Print only errors and the result.")
    var quiet = false

    var logger: Logger {
        let level: Logger.Level = quiet ? .error : (verbose >= 2 ? .debug : verbose == 1 ? .info : .warning)
        var logger = Logger(label: "airlock") { label in
            StreamLogHandler.standardError(label: label)
        }
        logger.logLevel = level
        return logger
    }
}
