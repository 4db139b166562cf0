import ArgumentParser
import Gateway
import Logging
import OTel

/// `--log-level` and `--log-format`, shared by every long-running subcommand.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Minimum log level: trace, debug, info, notice, warning, error, critical (ENCORE_LOG_LEVEL).")
    var logLevel = EnvironmentOptions.default("LOG_LEVEL", Logger.Level.info)

    @Option(
        help:
            "Log lines on standard error: text, or json (one object per line: timestamp, level, label, message, metadata) (ENCORE_LOG_FORMAT)."
    )
    var logFormat = EnvironmentOptions.default("LOG_FORMAT", LogFormat.text)

    /// How log lines are written.
    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// Installs the stderr handler at the chosen level and format and returns a logger. Every
    /// line carries the gateway's request id and the current trace and span ids when there are.
    func bootstrap(label: String) -> Logger {
        let level = logLevel
        let format = logFormat
        LoggingSystem.bootstrap(
            { label, provider in
                var handler: any LogHandler =
                    switch format {
                    case .text: StreamLogHandler.standardError(label: label, metadataProvider: provider)
                    case .json: JSONLogHandler(label: label, metadataProvider: provider)
                    }
                handler.logLevel = level
                return handler
            }, metadataProvider: .multiplex([.requestID, OTel.makeLoggingMetadataProvider()]))
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
