import ArgumentParser
import Logging

/// `--log-level`, shared by every long-running subcommand.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Minimum log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    /// Installs swift-log's stderr handler at the chosen level and returns a logger.
    func bootstrap(label: String) -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
