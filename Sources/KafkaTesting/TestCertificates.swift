import Foundation
import Locking

/// A certificate authority and a server certificate signed by it, made with `openssl` in a
/// temporary directory for one test: for TLS in front of a broker or a database.
public struct TestCertificates: Sendable {
    /// The directory holding every file below.
    public let directory: String
    /// The CA's certificate (PEM): what a client trusts.
    public let authority: String
    /// The server's certificate (PEM), for the host name only (no IP address: a client that
    /// reaches the server by address must fail host-name verification).
    public let serverCertificate: String
    /// The server's private key (PEM), readable by its owner only.
    public let serverKey: String

    /// Makes a CA named `name` and a certificate for `host` signed by it. `openssl` runs on a
    /// Dispatch thread: two RSA keys take seconds on a loaded machine, too long to hold one of the
    /// cooperative pool's threads while other tests' deadlines wait on it.
    public static func make(host: String = "localhost", name: String = "Encore Test CA") async throws -> TestCertificates {
        try await blocking { try makeNow(host: host, name: name) }
    }

    private static func makeNow(host: String, name: String) throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(
            directory: directory, authority: "\(directory)/ca.pem", serverCertificate: "\(directory)/server.pem",
            serverKey: "\(directory)/server.key"
        )
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(name)",
            "-keyout", "\(directory)/ca.key", "-out", certificates.authority,
        ])
        try openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(host)",
            "-keyout", certificates.serverKey, "-out", "\(directory)/server.csr",
        ])
        try "subjectAltName=DNS:\(host)\n".write(toFile: "\(directory)/server.ext", atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-days", "2", "-in", "\(directory)/server.csr", "-CA", certificates.authority,
            "-CAkey", "\(directory)/ca.key", "-CAcreateserial", "-extfile", "\(directory)/server.ext", "-out",
            certificates.serverCertificate,
        ])
        // PostgreSQL refuses a key file others can read.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: certificates.serverKey)
        return certificates
    }

    /// Removes the files.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestCertificatesError(arguments: arguments, output: String(decoding: output, as: UTF8.self))
        }
    }
}

/// `openssl` failed while making test certificates.
public struct TestCertificatesError: Error, CustomStringConvertible {
    public let arguments: [String]
    public let output: String
    public var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
}
