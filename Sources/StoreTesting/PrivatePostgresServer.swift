import Foundation
import ProcessSupport

/// A PostgreSQL 15 server private to this test process: its own data folder in /tmp, a free
/// port on 127.0.0.1, password login for user `encore`.
///
/// PostgreSQL refuses to run as root, so its tools run as the `postgres` OS user (`runuser`).
/// A shell watchdog holds the read end of a pipe whose write end only this process has; when
/// this process exits or dies, the pipe closes and the watchdog stops the server
/// (`pg_ctl stop -m immediate`, then SIGKILL) and deletes the folder. Signals are no help
/// here: test runners may block SIGTERM, and children inherit that.
final class PrivatePostgresServer: Sendable {
    /// The server's superuser name.
    static let user = "encore"

    let port: Int
    let password: String
    let root: String
    /// Kept open for the life of the process: closing it (at exit) stops the server.
    private let watchdog: ParentDeathWatchdog

    private init(port: Int, password: String, root: String, watchdog: ParentDeathWatchdog) {
        self.port = port
        self.password = password
        self.root = root
        self.watchdog = watchdog
    }

    /// `postgres://encore:…@127.0.0.1:port/database` (or another name for the same address).
    func url(database: String, host: String = "127.0.0.1") -> String {
        "postgres://\(Self.user):\(password)@\(host):\(port)/\(database)"
    }

    /// Stops the server and removes its folder (the watchdog does, on seeing its pipe close).
    func stop() {
        watchdog.fire()
    }

    /// Where the server binaries are: `$ENCORE_POSTGRES_BIN`, else Debian's PostgreSQL 15.
    static var binDirectory: String {
        ProcessInfo.processInfo.environment["ENCORE_POSTGRES_BIN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/usr/lib/postgresql/15/bin"
    }

    /// Starts a server; with `tls` (PEM certificate and key files) it also serves TLS (`ssl=on`).
    static func start(tls: (certificate: String, key: String)? = nil) async throws -> PrivatePostgresServer {
        let bin = binDirectory
        guard FileManager.default.isExecutableFile(atPath: "\(bin)/postgres"),
            FileManager.default.isExecutableFile(atPath: "\(bin)/initdb")
        else {
            throw TestPostgresError(
                "PostgreSQL server binaries not found in \(bin): run scripts/setup (Debian package postgresql) or set ENCORE_POSTGRES_BIN")
        }
        let root = "/tmp/encore-pg-\(UUID().uuidString.prefix(12).lowercased())"
        let data = "\(root)/data"
        let password = "pw\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try FileManager.default.createDirectory(atPath: "\(root)/socket", withIntermediateDirectories: true)
        // The watchdog first, so even a failed start cleans up after itself.
        let watchdog = try ParentDeathWatchdog(script: stopServer, arguments: [root, bin, data])
        try Data(password.utf8).write(to: URL(fileURLWithPath: "\(root)/pwfile"))
        var settings: [String] = []
        if let tls {
            // Copied in so that the chown below hands them to the postgres user (the key 0600).
            try FileManager.default.copyItem(atPath: tls.certificate, toPath: "\(root)/server.pem")
            try FileManager.default.copyItem(atPath: tls.key, toPath: "\(root)/server.key")
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(root)/server.key")
            settings = ["-c", "ssl=on", "-c", "ssl_cert_file=\(root)/server.pem", "-c", "ssl_key_file=\(root)/server.key"]
        }
        try await ProcessRunner.check("/bin/chown", ["-R", "postgres:postgres", root])
        try await asPostgres(
            "\(bin)/initdb",
            [
                "-D", data, "-U", user, "--pwfile=\(root)/pwfile", "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--locale=C", "--no-sync",
            ], in: root)

        var lastError: (any Error)?
        // A port free a moment ago may be taken by the time the server binds it: try a few.
        for _ in 0..<3 {
            let port = try TCPProbe.freePort()
            do {
                try await run(bin: bin, data: data, root: root, port: port, settings: settings)
                return PrivatePostgresServer(port: port, password: password, root: root, watchdog: watchdog)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestPostgresError("PostgreSQL did not start")
    }

    /// Starts the postmaster and waits until it accepts connections (or exits).
    private static func run(bin: String, data: String, root: String, port: Int, settings: [String]) async throws {
        let log = "\(root)/server-\(port).log"
        guard FileManager.default.createFile(atPath: log, contents: nil) else { throw TestPostgresError("cannot create \(log)") }
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logHandle.close() }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        server.arguments =
            [
                "-u", "postgres", "--", "\(bin)/postgres", "-D", data, "-p", "\(port)",
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=\(root)/socket",
                // A throwaway server: durability buys nothing, speed does.
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=300", "-c", "shared_buffers=64MB",
            ] + settings
        server.currentDirectoryURL = URL(fileURLWithPath: root)
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = logHandle
        server.standardError = logHandle
        try server.run()

        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let ready = try await ProcessRunner.run("\(bin)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)", "-t", "1"])
            if ready.status == 0 { return }
            guard server.isRunning else {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw TestPostgresError("PostgreSQL exited on port \(port): \(output.suffix(2000))")
            }
            guard ContinuousClock.now < deadline else {
                throw TestPostgresError("PostgreSQL did not accept connections on port \(port) within 30 s; see \(log)")
            }
            try await Task.sleep(for: .milliseconds(50))  // polling interval of the readiness check
        }
    }

    /// What the watchdog runs once this process stops the server or dies: `$0` the server's
    /// folder, `$1` the binaries, `$2` the data directory.
    private static let stopServer = #"""
        runuser -u postgres -- "$1/pg_ctl" stop -D "$2" -m immediate -w -t 5 >/dev/null 2>&1
        pid=$(head -n 1 "$2/postmaster.pid" 2>/dev/null)
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
        rm -rf "$0"
        """#

    private static func asPostgres(_ executable: String, _ arguments: [String], in directory: String) async throws {
        try await ProcessRunner.check("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments, in: directory)
    }
}
