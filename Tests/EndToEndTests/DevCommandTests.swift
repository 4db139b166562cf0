import Foundation
import KafkaTesting
import LocalBroker
import ProcessSupport
import Testing

@Suite("encore dev and the local broker process")
struct DevCommandTests {
    /// Starts `encore dev` on free ports and waits until its broker accepts connections. Tests
    /// run side by side, so a port found free may be taken before the broker binds it: then it
    /// tries other ports. Any other early exit fails with what `encore dev` said.
    static func startDev(dataDir: String) async throws -> (process: Process, brokerPort: Int) {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let errors = "\(dataDir)/dev.stderr"
        for _ in 1...3 {
            let brokerPort = try TansuBroker.freePort()
            let process = Process()
            process.executableURL = ChildProcess.binary
            process.arguments = [
                "dev", "--broker-port", String(brokerPort), "--port", String(try TansuBroker.freePort()),
                "--data-dir", dataDir, "--log-level", "warning",
            ]
            process.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
            try process.run()
            try await eventually("the broker accepts connections or encore dev exits", timeout: .seconds(90)) {
                TCPProbe.accepts(port: brokerPort) || !process.isRunning
            }
            if process.isRunning { return (process, brokerPort) }
            let said = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            guard said.contains("in use") else {
                Issue.record("encore dev exited during start-up: \(said)")
                throw CancellationError()
            }
        }
        Issue.record("encore dev found no free ports in three tries")
        throw CancellationError()
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
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("encore-dev-\(UUID().uuidString)").path
        let (dev, port) = try await Self.startDev(dataDir: dataDir)
        #expect(FileManager.default.fileExists(atPath: "\(dataDir)/tansu.log"))

        dev.interrupt()
        try await Self.waitForExit(dev)
        #expect(dev.terminationReason == .exit)
        #expect(dev.terminationStatus == 0)
        try await eventually("the broker is gone") { !TCPProbe.accepts(port: port) }
    }

    @Test("a killed encore dev leaves no broker behind")
    func killedDevTakesBrokerDown() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("encore-dev-\(UUID().uuidString)").path
        let (dev, port) = try await Self.startDev(dataDir: dataDir)
        kill(dev.processIdentifier, SIGKILL)
        try await Self.waitForExit(dev)
        try await eventually("the watchdog kills the orphaned broker") { !TCPProbe.accepts(port: port) }
    }

    @Test("starting a broker on a port already in use is a clear error")
    func portInUse() async throws {
        try await TestBroker.with { running in
            let port = Int(running.bootstrapServers.split(separator: ":").last!)!
            let second = TansuBroker(
                configuration: .init(executable: try TansuBroker.locateExecutable(), port: port), logger: running.logger)
            let error = await #expect(throws: TansuBrokerError.self) { try await second.start() }
            #expect(error.map { "\($0)" }?.contains("already in use") == true)
        }
    }
}
