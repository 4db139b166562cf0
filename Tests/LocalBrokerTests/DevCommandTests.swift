import Foundation
import KafkaTesting
import LocalBroker
import Testing

@Suite("encore dev and the local broker process")
struct DevCommandTests {
    /// The `encore` binary built next to this test bundle.
    static var encoreBinary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("encore")
    }

    static func startDev(brokerPort: Int, dataDir: String) throws -> Process {
        let process = Process()
        process.executableURL = encoreBinary
        // Free ports for both the broker and the HTTP API: tests run side by side.
        process.arguments = ["dev", "--broker-port", String(brokerPort), "--port", String(try TansuBroker.freePort()),
                             "--data-dir", dataDir, "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Interrupted during start-up, each consumer first waits for its JoinGroup answer, which
    /// Tansu holds for half the session timeout (about 6 s here, more on a loaded machine).
    static func waitForExit(_ process: Process) async throws {
        do {
            try await eventually("encore dev exits", timeout: .seconds(90)) { !process.isRunning }
        } catch {
            kill(process.processIdentifier, SIGKILL)  // a failed test leaves nothing running
            throw error
        }
    }

    @Test("encore dev starts the broker and stops it cleanly on Ctrl-C (SIGINT)")
    func devStopsOnInterrupt() async throws {
        let port = try TansuBroker.freePort()
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("encore-dev-\(UUID().uuidString)").path
        let dev = try Self.startDev(brokerPort: port, dataDir: dataDir)
        try await eventually("the broker accepts connections") { brokerAccepts(port: port) }
        #expect(FileManager.default.fileExists(atPath: "\(dataDir)/tansu.log"))

        dev.interrupt()
        try await Self.waitForExit(dev)
        #expect(dev.terminationReason == .exit)
        #expect(dev.terminationStatus == 0)
        try await eventually("the broker is gone") { !brokerAccepts(port: port) }
    }

    @Test("a killed encore dev leaves no broker behind")
    func killedDevTakesBrokerDown() async throws {
        let port = try TansuBroker.freePort()
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("encore-dev-\(UUID().uuidString)").path
        let dev = try Self.startDev(brokerPort: port, dataDir: dataDir)
        try await eventually("the broker accepts connections") { brokerAccepts(port: port) }
        kill(dev.processIdentifier, SIGKILL)
        try await Self.waitForExit(dev)
        try await eventually("the watchdog kills the orphaned broker") { !brokerAccepts(port: port) }
    }

    @Test("starting a broker on a port already in use is a clear error")
    func portInUse() async throws {
        try await TestBroker.with { running in
            let port = Int(running.bootstrapServers.split(separator: ":").last!)!
            let second = TansuBroker(configuration: .init(executable: try TansuBroker.locateExecutable(), port: port), logger: running.logger)
            let error = await #expect(throws: TansuBrokerError.self) { try await second.start() }
            #expect(error.map { "\($0)" }?.contains("already in use") == true)
        }
    }
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
func brokerAccepts(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
