import Foundation
import Locking

/// Validates log records against `schemas/` with `scripts/validate-records` (Python jsonschema
/// in the project's `.venv`, installed by scripts/setup).
public enum RecordSchemaValidator {
    /// The tool's exit status and output for these records, one per line.
    public static func validate(_ records: [Data], from file: String = #filePath) async throws -> (status: Int32, output: String) {
        try await validate(lines: Data(records.map { $0 + Data("\n".utf8) }.joined()), from: file)
    }

    /// The tool's exit status and output for `lines` (JSON records, one per line) on its stdin;
    /// waited for on a Dispatch thread, not one of the cooperative pool's.
    public static func validate(lines input: Data, from file: String = #filePath) async throws -> (status: Int32, output: String) {
        let root = try packageRoot(from: file)
        return try await blocking { try run(input, root: root) }
    }

    private static func run(_ input: Data, root: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = root.appendingPathComponent(".venv/bin/python")
        process.arguments = [root.appendingPathComponent("scripts/validate-records").path]
        process.currentDirectoryURL = root
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        // Write everything, then read: the tool prints a line per invalid record only, so its
        // output cannot fill the pipe while the input is still being written.
        try stdin.fileHandleForWriting.write(contentsOf: input)
        try stdin.fileHandleForWriting.close()
        let output = try stdout.fileHandleForReading.readToEnd() ?? Data()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// The nearest directory above `file` that holds Package.swift.
    public static func packageRoot(from file: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Package.swift above \(file)"])
    }
}
