import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KafkaTesting
import LocalBroker
import Testing

/// Acknowledged command ids, from several writer tasks.
final class Ledger: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ id: String) { lock.withLock { list.append(id) } }
    var ids: [String] { lock.withLock { list } }
    var count: Int { lock.withLock { list.count } }
}

/// One `encore dev` child process on free ports over a data directory.
final class DevInstance: @unchecked Sendable {
    let process: Process
    let httpPort: Int
    let dataDir: String
    private let errors: String

    private init(process: Process, httpPort: Int, dataDir: String, errors: String) {
        self.process = process
        self.httpPort = httpPort
        self.dataDir = dataDir
        self.errors = errors
    }

    /// A failed test leaves nothing running.
    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    static func temporaryDataDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("encore-dev-\(UUID().uuidString)").path
    }

    var standardError: String { (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "" }

    private static func launch(dataDir: String, auth: String?, environment: [String: String]) throws -> (Process, Int, String) {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let errors = "\(dataDir)/dev-\(UUID().uuidString.prefix(6)).stderr"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let httpPort = try TansuBroker.freePort()
        let process = Process()
        process.executableURL = ChildProcess.binary
        process.arguments =
            [
                "dev", "--broker-port", String(try TansuBroker.freePort()), "--port", String(httpPort),
                "--data-dir", dataDir, "--log-level", "notice",
            ] + (auth.map { ["--auth", $0] } ?? [])
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["ENCORE_WRITE_RATE_LIMIT": "0"].merging(environment) { _, new in new }
        ) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        return (process, httpPort, errors)
    }

    /// Starts `encore dev` and waits until its API answers; retries other ports when a test
    /// beside it took one.
    static func start(dataDir: String, auth: String? = "none", environment: [String: String] = [:]) async throws -> DevInstance {
        for _ in 1...3 {
            let (process, httpPort, errors) = try launch(dataDir: dataDir, auth: auth, environment: environment)
            let dev = DevInstance(process: process, httpPort: httpPort, dataDir: dataDir, errors: errors)
            try await eventually("encore dev answers /health or exits", timeout: .seconds(120)) {
                if !process.isRunning { return true }
                return (try? await dev.request("GET", "/health"))?.status == 200
            }
            if process.isRunning { return dev }
            guard dev.standardError.contains("in use") else {
                Issue.record("encore dev exited during start-up: \(dev.standardError)")
                throw CancellationError()
            }
        }
        Issue.record("encore dev found no free ports in three tries")
        throw CancellationError()
    }

    /// Starts `encore dev` where it is expected to refuse to start; returns how it exited.
    static func runToExit(dataDir: String) async throws -> (status: Int32, standardError: String) {
        let (process, _, errors) = try launch(dataDir: dataDir, auth: "none", environment: [:])
        do {
            try await eventually("encore dev exits", timeout: .seconds(120)) { !process.isRunning }
        } catch {
            Foundation.kill(process.processIdentifier, SIGKILL)
            throw error
        }
        return (process.terminationStatus, (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }

    static func segments(in dataDir: String) -> [String] {
        let root = "\(dataDir)/log"
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".seg") }.sorted().map { "\(root)/\($0)" }
    }

    /// Requests to its API.
    var http: ChildHTTP { ChildHTTP(port: httpPort) }

    typealias Answer = ChildHTTP.Answer

    func request(_ method: String, _ path: String, json: [String: Any]? = nil, headers: [String: String] = [:]) async throws -> Answer {
        try await http.request(method, path, json: json, headers: headers)
    }

    /// A v1 song create, answered 200 once applied (never 202), and visible at once; returns its id.
    func createSong(_ title: String) async throws -> String {
        let answer = try await request("POST", "/api/v1/music/", json: ["Artist": "Encore", "SongTitle": title])
        guard answer.status == 200, let id = answer.json?["music_id"] as? String else {
            Issue.record("create answered \(answer.status): \(answer.text)")
            throw CancellationError()
        }
        #expect(try await request("GET", "/api/v1/music/\(id)").status == 200, "song \(id) is read back at once")
        return id
    }

    func songCount() async throws -> Int {
        try await request("GET", "/api/v1/music/").json?["Count"] as? Int ?? -1
    }

    func waitUntilReady() async throws {
        try await eventually("encore dev is ready", timeout: .seconds(60)) { try await request("GET", "/ready").status == 200 }
    }

    /// Ctrl-C, and a clean exit.
    func interrupt() async throws {
        process.interrupt()
        do {
            try await eventually("encore dev exits", timeout: .seconds(90)) { !process.isRunning }
        } catch {
            Foundation.kill(process.processIdentifier, SIGKILL)
            throw error
        }
        #expect(process.terminationStatus == 0, "encore dev after Ctrl-C: \(standardError)")
    }

    /// SIGKILL: no chance to flush anything (its broker dies with it).
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
