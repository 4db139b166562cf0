import Foundation
import KafkaTesting
import Locking

/// A child `encore` process for tests; killed with SIGKILL (as a crash) by `kill()`.
final class ChildProcess {
    let process: Process

    private init(process: Process) { self.process = process }

    /// Takes over a running process (any executable), to be killed like an `encore` child.
    convenience init(adopting process: Process) { self.init(process: process) }

    /// Runs the `encore` binary built next to this test bundle, with `environment` added to this
    /// process's, its standard error going to `standardError`.
    static func encore(_ arguments: [String], environment: [String: String] = [:], standardError: FileHandle = .standardError) throws
        -> ChildProcess
    {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(TestKeys.environment.merging(environment) { _, added in added }) {
            _, added in added
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = standardError
        try process.run()
        return ChildProcess(process: process)
    }

    /// What a finished `encore` run printed, and how it exited.
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
        /// Both streams, standard output first.
        var output: String { standardOutput + standardError }
    }

    /// Runs `encore` to completion. Its streams go to files, so neither can fill up and block it.
    /// The wait is on a Dispatch thread: a run can take seconds, too long to hold one of the
    /// cooperative pool's threads while other tests' deadlines wait on it.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        try await blocking { try runNow(arguments, environment: environment) }
    }

    private static func runNow(_ arguments: [String], environment: [String: String]) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputFile = directory.appendingPathComponent("stdout")
        let errorFile = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(TestKeys.environment.merging(environment) { _, added in added }) {
            _, added in added
        }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            standardOutput: String(decoding: try Data(contentsOf: outputFile), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self)
        )
    }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("encore")
    }

    /// SIGKILL, then wait for the exit: no chance to flush or commit anything.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}
