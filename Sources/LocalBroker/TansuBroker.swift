import Foundation
import Locking
import Logging
import MetadataKeys
import ProcessSupport
import ServiceLifecycle
import Synchronization

/// A local Tansu broker process (Apache-Kafka-compatible, memory storage) for dev and tests.
///
/// The broker is started through a tiny shell watchdog that kills it when this process's
/// end of a pipe closes, so a crashed or killed parent never leaves a broker behind.
public final class TansuBroker: Sendable, Service {
    /// Where and how to run the broker.
    public struct Configuration: Sendable {
        public var executable: String
        public var host: String
        public var port: Int
        /// File that receives the broker's output; nil discards it.
        public var logFile: String?
        public var clusterID: String
        /// The `host:port` the broker names in its metadata, where clients connect after the
        /// first one (a TLS proxy in front of it); by default its own.
        public var advertisedAddress: String?
        /// Whether clients must authenticate (SASL/SCRAM-SHA-512). A memory-storage broker
        /// has no users and refuses to create one unauthenticated, so every client is refused.
        public var requiresAuthentication: Bool

        public init(
            executable: String, host: String = "127.0.0.1", port: Int, logFile: String? = nil, clusterID: String = "encore-dev",
            advertisedAddress: String? = nil, requiresAuthentication: Bool = false
        ) {
            self.advertisedAddress = advertisedAddress
            self.requiresAuthentication = requiresAuthentication
            self.executable = executable
            self.host = host
            self.port = port
            self.logFile = logFile
            self.clusterID = clusterID
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    private let running = Locked<RunningBroker?>(nil)

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// `host:port`, for `bootstrap.servers`.
    public var bootstrapServers: String { "\(configuration.host):\(configuration.port)" }

    /// Spawns the broker and returns once it accepts connections.
    public func start(readyTimeout: Duration = .seconds(20)) async throws {
        guard !TCPProbe.accepts(host: configuration.host, port: configuration.port) else {
            throw TansuBrokerError.portInUse(address: bootstrapServers)
        }
        let broker = try RunningBroker.spawn(configuration)
        running.withLock { $0 = broker }
        let deadline = ContinuousClock.now + readyTimeout
        while !TCPProbe.accepts(host: configuration.host, port: configuration.port) {
            if let status = broker.exitStatus {
                throw TansuBrokerError.exited(status: status, logFile: configuration.logFile)
            }
            guard ContinuousClock.now < deadline else {
                await stop()
                throw TansuBrokerError.notReady(address: bootstrapServers, after: readyTimeout)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        logger.info("Tansu broker ready", metadata: [MetadataKey.address: "\(bootstrapServers)"])
    }

    /// Stops the broker (SIGTERM) and waits for it to exit. Safe to call more than once.
    /// Starts the broker, runs `body`, and stops the broker whether `body` returns or throws.
    public func whileRunning<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async throws -> T {
        try await start()
        do {
            let result = try await body()
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    public func stop() async {
        guard
            let broker = running.withLock({ state in
                defer { state = nil }
                return state
            })
        else { return }
        broker.requestStop()
        let status = await broker.exit.value
        logger.info("Tansu broker stopped", metadata: [MetadataKey.status: "\(status)"])
    }

    /// Starts the broker unless ``start(readyTimeout:)`` already did, then supervises it until
    /// graceful shutdown; throws if it dies on its own.
    public func run() async throws {
        if running.withLock({ $0 == nil }) { try await start() }
        guard let broker = running.withLock({ $0 }) else { return }
        await withTaskCancellationOrGracefulShutdownHandler {
            _ = await broker.exit.value
        } onCancelOrGracefulShutdown: {
            broker.requestStop()
        }
        await stop()
        if !broker.stopRequested, let status = broker.exitStatus {
            throw TansuBrokerError.exited(status: status, logFile: configuration.logFile)
        }
    }

    /// Finds the Tansu binary: `$ENCORE_TANSU`, then `.venv/bin/tansu` in this or a parent
    /// directory (where scripts/setup puts it), then `tansu` on `PATH`.
    public static func locateExecutable(from directory: String = FileManager.default.currentDirectoryPath) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["ENCORE_TANSU"], !path.isEmpty { return path }
        var url = URL(fileURLWithPath: directory)
        while true {
            let candidate = url.appendingPathComponent(".venv/bin/tansu").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { break }
            url = parent
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/tansu"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TansuBrokerError.executableNotFound
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func freePort() throws -> Int {
        try TCPProbe.freePort()
    }
}

/// Why the local broker could not run.
public enum TansuBrokerError: Error, CustomStringConvertible {
    case executableNotFound
    case exited(status: Int32, logFile: String?)
    case notReady(address: String, after: Duration)
    case portInUse(address: String)

    public var description: String {
        switch self {
        case .executableNotFound:
            "Tansu broker not found: run scripts/setup (installs it into .venv) or set ENCORE_TANSU"
        case .exited(let status, let logFile):
            "Tansu broker exited with status \(status)" + (logFile.map { "; see \($0)" } ?? "")
        case .portInUse(let address):
            "\(address) is already in use (another broker?): stop it or choose another port"
        case .notReady(let address, let after):
            "Tansu broker did not accept connections on \(address) within \(after)"
        }
    }
}

/// One spawned watchdog+broker pair.
private final class RunningBroker: Sendable {
    let exit: Task<Int32, Never>
    private let status: ExitStatus
    private let watchdog: ParentDeathWatchdog
    private let stopFlag = Atomic<Bool>(false)

    var exitStatus: Int32? { status.value.withLock { $0 } }

    private init(exit: Task<Int32, Never>, status: ExitStatus, watchdog: ParentDeathWatchdog) {
        self.exit = exit
        self.status = status
        self.watchdog = watchdog
    }

    private final class ExitStatus: Sendable {
        let value = Locked<Int32?>(nil)
    }

    /// What the watchdog runs once this process stops the broker or dies: SIGKILL, because a
    /// parent with SIGTERM blocked (test runners) passes that mask on; the broker keeps only
    /// memory storage, so nothing is lost by it.
    private static let killBroker = #"kill -KILL "$0" 2>/dev/null"#

    static func spawn(_ configuration: TansuBroker.Configuration) throws -> RunningBroker {
        let url = "tcp://\(configuration.host):\(configuration.port)"
        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: configuration.executable)
        let advertised = configuration.advertisedAddress.map { "tcp://\($0)" } ?? url
        broker.arguments =
            [
                "broker", "--listener-url", url, "--advertised-listener-url", advertised,
                "--storage-engine", "memory://tansu/", "--cluster-id", configuration.clusterID,
            ]
            + (configuration.requiresAuthentication ? ["--authentication"] : [])
        broker.standardInput = FileHandle.nullDevice
        if let logFile = configuration.logFile {
            guard FileManager.default.createFile(atPath: logFile, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: logFile])
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
            broker.standardOutput = handle
            broker.standardError = handle
        } else {
            broker.standardOutput = FileHandle.nullDevice
            broker.standardError = FileHandle.nullDevice
        }
        let status = ExitStatus()
        let (exits, continuation) = AsyncStream.makeStream(of: Int32.self)
        broker.terminationHandler = { process in
            status.value.withLock { $0 = process.terminationStatus }
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try broker.run()

        let watchdog: ParentDeathWatchdog
        do {
            watchdog = try ParentDeathWatchdog(script: killBroker, arguments: [String(broker.processIdentifier)])
        } catch {
            broker.terminate()
            throw error
        }
        let exit = Task { await exits.first { _ in true } ?? -1 }
        return RunningBroker(exit: exit, status: status, watchdog: watchdog)
    }

    /// True once this process asked the broker to stop (so its exit is no failure).
    var stopRequested: Bool { stopFlag.load(ordering: .acquiring) }

    func requestStop() {
        guard !stopFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        watchdog.fire()
    }
}
