import Foundation

/// Standard error output and terminal detection for the CLI's human-facing text.
enum Terminal {
    /// Whether standard error is a terminal (progress bars) rather than a file or pipe (log lines).
    static var standardErrorIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    /// Whether standard output is a terminal (screen redraws in `--watch`).
    static var standardOutputIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Writes `text` to standard error as is (no newline added).
    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints `data` (JSON) and a newline to standard output.
    static func printJSON(_ data: Data) {
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// `1234567` → `1,234,567`.
    static func grouped(_ value: Int64) -> String {
        value.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
    }

    /// A duration in seconds as `42s`, `3m05s` or `1h02m`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }
}
