import Dispatch
import Foundation

/// The exit status and combined output of a finished command.
struct CommandResult: Sendable {
    var status: Int32
    var output: String
}

/// Runs short-lived helper commands (initdb, psql, pg_isready) to completion.
enum ProcessRunner {
    /// Runs `executable` and waits for it on a Dispatch thread (never blocking the cooperative pool).
    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil) async throws -> CommandResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: executable)
                        process.arguments = arguments
                        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
                        let output = Pipe()
                        process.standardInput = FileHandle.nullDevice
                        process.standardOutput = output
                        process.standardError = output
                        try process.run()
                        let data = output.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
                    })
            }
        }
    }

    /// Like ``run(_:_:in:)`` but throws with the command's output if it exits non-zero.
    @discardableResult
    static func check(_ executable: String, _ arguments: [String], in directory: String? = nil) async throws -> String {
        let result = try await run(executable, arguments, in: directory)
        guard result.status == 0 else {
            throw TestPostgresError(
                "\(([executable] + arguments).joined(separator: " ")) exited with status \(result.status): "
                    + result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
        return result.output
    }
}
