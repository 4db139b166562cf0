import Foundation
import KafkaTesting

/// A child `encore` process for tests; killed with SIGKILL (as a crash) by `kill()`.
final class ChildProcess {
    let process: Process

    private init(process: Process) { self.process = process }

    /// Runs the `encore` binary built next to this test bundle.
    static func encore(_ arguments: [String]) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("encore")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.standardError
        try process.run()
        return ChildProcess(process: process)
    }

    /// SIGKILL, then wait for the exit: no chance to flush or commit anything.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}
