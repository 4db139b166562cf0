import Foundation
import PostgresNIO

/// Where a PostgreSQL store connects, parsed from `postgres://user:password@host:port/database`.
///
/// `?sslmode=` takes libpq's values: `disable`, `allow`/`prefer` (the default: TLS if the
/// server offers it), `require` (TLS, certificate not verified, as in libpq), `verify-ca` (the
/// certificate chains to a trusted root) and `verify-full` (and names the host).
/// `?sslrootcert=PATH` is the PEM file of the roots to trust instead of the system's (`system`:
/// the system's); as in libpq, `require` with a root certificate file verifies like `verify-ca`.
struct PostgresEndpoint: Sendable, CustomStringConvertible {
    enum TLSMode: String, Sendable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var tls: TLSMode
    /// `sslrootcert`: a PEM file of trusted roots; nil for the system's.
    var rootCertificate: String?

    init(url: String) throws(StoreError) {
        func invalid(_ why: String) -> StoreError {
            StoreError(.misuse, backend: .postgres, operation: "open", message: "invalid URL \(Self.redact(url)): \(why)")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw invalid("expected postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
        guard let username = components.user, !username.isEmpty else { throw invalid("no user name") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw invalid("the path must be one database name") }
        var tls = TLSMode.prefer
        var rootCertificate: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw invalid(
                        "unknown sslmode \(item.value ?? "") (expected disable, allow, prefer, require, verify-ca or verify-full)")
                }
                tls = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw invalid("sslrootcert needs a file path") }
                rootCertificate = path == "system" ? nil : path
            default:
                throw invalid("unsupported parameter \(item.name) (only sslmode and sslrootcert)")
            }
        }
        if tls == .require, rootCertificate != nil { tls = .verifyCA }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        // libpq's default database is the user's name.
        self.database = path.isEmpty ? username : (path.removingPercentEncoding ?? path)
        self.tls = tls
        self.rootCertificate = rootCertificate
    }

    /// `postgres://user@host:port/database`, without the password, for messages and logs.
    var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// The configuration of ``PostgresClient`` (the store's pool).
    func clientConfiguration(connectTimeout: Duration) throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .allow, .prefer: .prefer(try tlsConfiguration())
            case .require, .verifyCA, .verifyFull: .require(try tlsConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    /// The configuration of a single probe connection (which reports why it cannot connect,
    /// where the pool would just keep retrying).
    func connectionConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .allow, .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
            case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration()))
            }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.connectTimeout = .nanoseconds(
            connectTimeout.components.seconds * 1_000_000_000 + connectTimeout.components.attoseconds / 1_000_000_000
        )
        return configuration
    }

    /// NIOSSL's client configuration for ``tls``: what is verified, and which roots are trusted.
    func tlsConfiguration() throws(StoreError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification =
            switch tls {
            case .verifyFull: .fullVerification
            case .verifyCA: .noHostnameVerification
            case .disable, .allow, .prefer, .require: .none
            }
        if let rootCertificate {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
            } catch {
                throw StoreError(
                    .misuse, backend: .postgres, operation: "open", message: "cannot read sslrootcert \(rootCertificate): \(error)")
            }
        }
        return configuration
    }

    /// `url` with any password replaced by `***` (by hand: it must work on URLs that do not parse).
    static func redact(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex)]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
