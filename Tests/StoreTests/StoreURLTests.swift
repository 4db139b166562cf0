import Domain
import Foundation
import StoreTesting
import Testing

@testable import Store

@Suite("Store URLs")
struct StoreURLTests {
    @Test("an unknown scheme is a clear error that hides the password")
    func unknownScheme() async throws {
        let error = try await #require(throws: StoreError.self) {
            _ = try await StoreDatabase(url: "mysql://root:hunter2@db:3306/encore", logger: storeTestLogger).open()
        }
        #expect(error.backend == nil)
        #expect(error.code == .misuse && !error.code.isRetriable)
        #expect(error.description.contains("unsupported store URL"))
        #expect(error.description.contains("sqlite:PATH"))
        #expect(!error.description.contains("hunter2"))
    }

    @Test("an invalid namespace is refused", arguments: ["", "Main", "a-b", "x;drop", String(repeating: "a", count: 49)])
    func invalidNamespace(namespace: String) async throws {
        try await withStoreURL(.sqlite) { url in
            let error = try await #require(throws: StoreError.self) {
                _ = try await StoreDatabase(url: url, logger: storeTestLogger).open(namespace: namespace)
            }
            #expect(error.message.contains("invalid namespace"))
        }
    }

    @Test("sqlite: URLs with relative, absolute and triple-slash paths; missing folders are created")
    func sqlitePaths() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-factory-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let absolute = directory.appendingPathComponent("a/abs.db").path
        let triple = directory.appendingPathComponent("b/triple.db").path
        for url in ["sqlite:\(absolute)", "sqlite://\(triple)"] {
            let store = try await StoreDatabase(url: url, logger: storeTestLogger).open()
            try await store.ping()
            await store.close()
        }
        #expect(FileManager.default.fileExists(atPath: absolute))
        #expect(FileManager.default.fileExists(atPath: triple))

        // Relative to the working directory.
        let relativeName = ".build-store-test-\(UUID().uuidString.prefix(8)).db"
        let relative = FileManager.default.currentDirectoryPath + "/" + relativeName
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: relative + suffix) } }
        let store = try await StoreDatabase(url: "sqlite:\(relativeName)", logger: storeTestLogger).open()
        await store.close()
        #expect(FileManager.default.fileExists(atPath: relative))
    }

    @Test("processes opening one new SQLite file at the same moment all open it (the WAL switch is retried while another holds it)")
    func concurrentFirstOpens() async throws {
        for _ in 0..<5 {
            try await withStoreURL(.sqlite) { url in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<6 {
                        group.addTask { try await StoreDatabase(url: url, logger: storeTestLogger).open().closing { try await $0.ping() } }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test("an unreachable PostgreSQL fails within the connect timeout")
    func unreachablePostgres() async throws {
        // A port nobody listens on: bind-and-release would race, so use a reserved low port on loopback.
        let started = ContinuousClock.now
        let error = try await #require(throws: StoreError.self) {
            _ = try await StoreDatabase(url: "postgres://encore:secret@127.0.0.1:9/encore", logger: storeTestLogger)
        }
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(error.backend == .postgres)
        #expect(error.operation == "open")
        #expect(error.message.contains("127.0.0.1:9"))
        #expect(!error.description.contains("secret"))
    }

    @Test("a PostgreSQL server that never answers fails within the connect timeout")
    func silentServer() async throws {
        let listener = try SilentListener()
        let started = ContinuousClock.now
        let error = try await #require(throws: StoreError.self) {
            _ = try await PostgresDatabase(
                url: "postgres://encore:secret@127.0.0.1:\(listener.port)/encore", logger: storeTestLogger, connectTimeout: .seconds(1)
            )
        }
        // The open gives up after connectTimeout + 1 s; the bound says it does not hang (the pool
        // alone would retry for minutes), with room for a loaded CI machine's scheduling (15.9 s
        // and 16.4 s measured there for these two with every suite starting at once).
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(error.operation == "open")
        #expect(error.code == .unavailable && error.code.isRetriable)
        #expect(error.message.contains("127.0.0.1:\(listener.port)"))
        withExtendedLifetime(listener) {}
    }

    @Test("a wrong PostgreSQL password is reported at open")
    func wrongPassword() async throws {
        try await withStoreURL(.postgres) { url in
            var components = try #require(URLComponents(string: url))
            components.password = "wrong"
            let error = try await #require(throws: StoreError.self) {
                _ = try await StoreDatabase(url: try #require(components.string), logger: storeTestLogger)
            }
            #expect(error.message.contains("password authentication failed"))
        }
    }

    @Test("postgres URLs parse user, password, host, port, database and sslmode")
    func postgresURLs() throws {
        let endpoint = try PostgresEndpoint(url: "postgresql://app:p%40ss@db.example.com:6432/catalog?sslmode=require")
        #expect(endpoint.username == "app")
        #expect(endpoint.password == "p@ss")
        #expect(endpoint.host == "db.example.com")
        #expect(endpoint.port == 6432)
        #expect(endpoint.database == "catalog")
        #expect(endpoint.tls == .require)
        #expect("\(endpoint)" == "postgres://app@db.example.com:6432/catalog")

        let defaults = try PostgresEndpoint(url: "postgres://app@localhost")
        #expect(defaults.port == 5432)
        #expect(defaults.database == "app")
        #expect(defaults.tls == .prefer)

        #expect(throws: StoreError.self) { try PostgresEndpoint(url: "postgres://localhost/db") }
        #expect(throws: StoreError.self) { try PostgresEndpoint(url: "postgres://u@h/db?sslmode=sometimes") }
        #expect(PostgresEndpoint.redact("postgres://u:secret@h:1/db") == "postgres://u:***@h:1/db")
        #expect(PostgresEndpoint.redact("postgres://u@h/db") == "postgres://u@h/db")
    }

    @Test("sslmode and sslrootcert as libpq spells them: what each verifies, an unknown mode named")
    func postgresTLSParameters() throws {
        let full = try PostgresEndpoint(url: "postgres://u@db.example.com/d?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem")
        #expect(full.tls == .verifyFull)
        #expect(full.rootCertificate == "/etc/ssl/db-ca.pem")
        let verifyCA = try PostgresEndpoint(url: "postgres://u@h/d?sslmode=verify-ca")
        #expect(verifyCA.rootCertificate == nil)
        #expect(try verifyCA.tlsConfiguration().certificateVerification == .noHostnameVerification)
        #expect(
            try PostgresEndpoint(url: "postgres://u@h/d?sslmode=verify-full").tlsConfiguration().certificateVerification
                == .fullVerification)
        #expect(try PostgresEndpoint(url: "postgres://u@h/d?sslmode=require").tlsConfiguration().certificateVerification == .none)
        #expect(try PostgresEndpoint(url: "postgres://u@h/d?sslmode=disable").tls == .disable)
        // libpq: require with a root certificate file verifies the chain, as verify-ca.
        #expect(try PostgresEndpoint(url: "postgres://u@h/d?sslmode=require&sslrootcert=/ca.pem").tls == .verifyCA)
        #expect(try PostgresEndpoint(url: "postgres://u@h/d?sslmode=verify-full&sslrootcert=system").rootCertificate == nil)

        let unknown = #expect(throws: StoreError.self) { try PostgresEndpoint(url: "postgres://u:pw@h/d?sslmode=verify-everything") }
        #expect(unknown?.message.contains("unknown sslmode verify-everything") == true)
        #expect(unknown?.message.contains("pw") == false)
        let unreadable = #expect(throws: StoreError.self) {
            try PostgresEndpoint(url: "postgres://u@h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").tlsConfiguration()
        }
        #expect(unreadable?.message.contains("cannot read sslrootcert /nonexistent/ca.pem") == true)
    }
}
