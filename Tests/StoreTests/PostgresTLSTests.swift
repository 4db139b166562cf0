import Foundation
import KafkaTesting
import StoreTesting
import Testing

@testable import Store

/// PostgreSQL over TLS for real: a private server with `ssl=on` and a certificate for
/// `localhost` from a CA made for this test.
@Suite("PostgreSQL over TLS", .serialized)
struct PostgresTLSTests {
    @Test("verify-full with the test CA connects; a wrong root certificate or host name is refused with a readable error")
    func verifyFull() async throws {
        let certificates = try await TestCertificates.make(host: "localhost")
        defer { certificates.remove() }
        let other = try await TestCertificates.make(name: "Some Other CA")
        defer { other.remove() }
        let server = try await TLSTestPostgres.start(certificate: certificates.serverCertificate, key: certificates.serverKey)
        defer { server.stop() }

        let good = "\(server.url())?sslmode=verify-full&sslrootcert=\(certificates.authority)"
        try await StoreDatabase.withStore(url: good, logger: storeTestLogger) { try await $0.ping() }

        let wrongRoot = "\(server.url())?sslmode=verify-full&sslrootcert=\(other.authority)"
        let refused = try await #require(throws: StoreError.self) {
            _ = try await StoreDatabase(url: wrongRoot, logger: storeTestLogger)
        }
        #expect(refused.message.contains("cannot connect to postgres://encore@localhost"), "\(refused)")
        #expect(refused.message.lowercased().contains("certificate"), "\(refused)")

        // The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca accepts.
        let byAddress = "\(server.url(host: "127.0.0.1"))?sslmode=verify-full&sslrootcert=\(certificates.authority)"
        let mismatch = try await #require(throws: StoreError.self) {
            _ = try await StoreDatabase(url: byAddress, logger: storeTestLogger)
        }
        #expect(mismatch.message.lowercased().contains("certificate") || mismatch.message.lowercased().contains("host"), "\(mismatch)")
        let chainOnly = "\(server.url(host: "127.0.0.1"))?sslmode=verify-ca&sslrootcert=\(certificates.authority)"
        try await StoreDatabase.withStore(url: chainOnly, logger: storeTestLogger) { try await $0.ping() }
    }
}
