import Foundation
import ArgumentParser

/// A subcommand whose role a later issue implements; running it says so and exits 2.
protocol PlannedCommand: AsyncParsableCommand {
    /// The issue that implements this command.
    static var issue: Int { get }
}

extension PlannedCommand {
    func run() async throws {
        let name = Self.configuration.commandName ?? "this command"
        printToStandardError("encore \(name) is not implemented yet (planned in issue #\(Self.issue)).")
        throw ExitCode(2)
    }
}

private func printToStandardError(_ text: String) {
    var stream = StandardErrorStream()
    print(text, to: &stream)
}

private struct StandardErrorStream: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}

struct ReplayCommand: PlannedCommand {
    static let configuration = CommandConfiguration(commandName: "replay", abstract: "Rebuild a read model from the log with zero downtime. [not implemented yet]")
    static let issue = 4
}

struct LagCommand: PlannedCommand {
    static let configuration = CommandConfiguration(commandName: "lag", abstract: "Show how far behind each projector is. [not implemented yet]")
    static let issue = 4
}

struct HistoryCommand: PlannedCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show one entity's commands and outcomes from the log. [not implemented yet]")
    static let issue = 4
}
