import Foundation
import LocalBroker
import ProcessSupport

/// Debian's `stunnel` terminating TLS on a free port and forwarding plaintext to a local port,
/// as a TLS proxy in front of a broker does (Tansu's own TLS listener does not serve TLS).
// Process is not Sendable; its run, terminate and wait are safe from any thread.
public final class TLSProxy: @unchecked Sendable {
    /// The port clients connect to with TLS.
    public let port: Int
    private let process: Process

    /// Starts `stunnel` on a free port in front of `127.0.0.1:target`, with `certificates`'
    /// server certificate; returns once the port accepts connections.
    public init(forwardingTo target: Int, certificates: TestCertificates, timeout: Duration = .seconds(10)) async throws {
        port = try TCPProbe.freePort()
        let configuration = """
            foreground = yes
            pid =
            debug = 4
            [kafka]
            accept = 127.0.0.1:\(port)
            connect = 127.0.0.1:\(target)
            cert = \(certificates.serverCertificate)
            key = \(certificates.serverKey)

            """
        let file = "\(certificates.directory)/stunnel-\(port).conf"
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stunnel4")
        process.arguments = [file]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let log = "\(certificates.directory)/stunnel-\(port).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + timeout
        while !TCPProbe.accepts(port: port) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                stop()
                throw TLSProxyError(log: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops `stunnel` and waits for it to exit: SIGKILL, since a test runner may block
    /// SIGTERM and its children inherit that (measured: stunnel then never exits).
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// `stunnel` exited or did not listen in time.
public struct TLSProxyError: Error, CustomStringConvertible {
    public let log: String
    public var description: String { "stunnel did not start: \(log)" }
}
