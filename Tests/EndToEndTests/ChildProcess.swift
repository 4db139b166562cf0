import Foundation
import KafkaTesting

/// A child `encore` process for tests; killed with SIGKILL (as a crash) by `kill()`.
final class ChildProcess {
    let process: Process

    private init(process: Process) { self.process = process }

    /// Runs the `encore` binary built next to this test bundle.
    static func encore(_ arguments: [String]) throws -> ChildProcess {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.standardError
        try process.run()
        return ChildProcess(process: process)
    }

    /// Runs `encore` to completion; its exit status and combined output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = try output.fileHandleForReading.readToEnd() ?? Data()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
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
