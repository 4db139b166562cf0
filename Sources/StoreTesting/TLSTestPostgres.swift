import Foundation

/// A private PostgreSQL server serving TLS with a given certificate, for one test (the shared
/// ``TestPostgres`` server stays plaintext, so other suites are unchanged).
public final class TLSTestPostgres: Sendable {
    private let server: PrivatePostgresServer

    private init(server: PrivatePostgresServer) { self.server = server }

    /// Starts the server with `ssl=on` and the PEM `certificate` and `key`.
    public static func start(certificate: String, key: String) async throws -> TLSTestPostgres {
        TLSTestPostgres(server: try await PrivatePostgresServer.start(tls: (certificate, key)))
    }

    /// The `postgres` database's URL through `host` (the name the certificate is for), without
    /// any query: the test adds `sslmode` and `sslrootcert`.
    public func url(host: String = "localhost") -> String {
        server.url(database: "postgres", host: host)
    }

    /// Stops the server and removes its files.
    public func stop() { server.stop() }
}
