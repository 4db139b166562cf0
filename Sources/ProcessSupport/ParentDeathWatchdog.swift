import Foundation

/// A shell that runs a clean-up script once this process lets go of it: when ``fire()`` is
/// called, or when this process dies, however it dies (the kernel closes its end of a pipe, which
/// ends the shell's `read`). What a child server started here must not outlive: the local broker,
/// a test's private PostgreSQL server.
public final class ParentDeathWatchdog: Sendable {
    private let pipe: Pipe

    /// Starts `/bin/sh -c "read _; <script>"` with `arguments` as `$0`, `$1`, …
    public init(script: String, arguments: [String]) throws {
        pipe = Pipe()
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "read _\n" + script] + arguments
        shell.standardInput = pipe
        shell.standardOutput = FileHandle.nullDevice
        shell.standardError = FileHandle.nullDevice
        try shell.run()
        // Our copy of the read end would keep the pipe alive; only the shell needs it.
        try pipe.fileHandleForReading.close()
    }

    /// Runs the script now.
    public func fire() {
        try? pipe.fileHandleForWriting.close()
    }
}
