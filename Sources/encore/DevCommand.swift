import ArgumentParser
import Foundation
import Kafka
import LocalBroker
import Logging
import ServiceLifecycle

/// `encore dev`: everything on one machine, stopped by Ctrl-C.
///
/// Today this runs the local Tansu broker; the projectors and gateway join it as they land.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run Encore locally: a Tansu broker (projectors and gateway once implemented). Ctrl-C stops it."
    )

    @Option(help: "Port of the gateway's HTTP API (reserved: the gateway is not implemented yet).")
    var port = 8080

    @Option(help: "Port of the local Kafka-API broker.")
    var brokerPort = 9092

    @Option(help: "Directory for local state and logs.")
    var dataDir = ".encore"

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        let logger = logging.bootstrap(label: "encore.dev")
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let broker = TansuBroker(
            configuration: .init(
                executable: try TansuBroker.locateExecutable(),
                port: brokerPort,
                logFile: "\(dataDir)/tansu.log"
            ),
            logger: logger
        )
        logger.notice("Starting Encore dev; Ctrl-C stops it", metadata: [
            "broker": "\(broker.bootstrapServers)",
            "librdkafka": "\(Librdkafka.loadedVersion)",
            "broker-log": "\(dataDir)/tansu.log",
        ])
        // The group installs the signal handlers first, so Ctrl-C during start-up is clean too.
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: broker)], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger)
        )
        try await group.run()
        logger.notice("Encore dev stopped")
    }
}
