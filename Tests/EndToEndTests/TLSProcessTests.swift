import Foundation
import KafkaTesting
import LocalBroker
import ProcessSupport
import StoreTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The gateway and a projector as separate `encore` processes on a broker reachable only
/// through TLS, configured the way an operator would: `ENCORE_KAFKA_*` variables.
@Suite("Gateway and projector through TLS", .serialized)
struct TLSProcessTests {
    @Test("a write is appended through TLS, folded by a projector through TLS and read back")
    func writeFoldRead() async throws {
        try await TLSTestBroker.with { tls in
            try await withStoreURL(.sqlite) { store in
                let environment = [
                    "ENCORE_BROKERS": tls.bootstrapServers,
                    "ENCORE_KAFKA_SECURITY_PROTOCOL": "SSL",
                    "ENCORE_KAFKA_SSL_CA_LOCATION": tls.certificates.authority,
                    "ENCORE_TOPIC_PREFIX": "tls\(UUID().uuidString.prefix(6).lowercased())",
                    "ENCORE_STORE": store,
                ]
                let port = try TCPProbe.freePort()
                let gateway = try ChildProcess.encore(["gateway", "--port", "\(port)", "--auth", "none"], environment: environment)
                let projector = try ChildProcess.encore(
                    ["projector", "--session-timeout-ms", "6000", "--metrics-port", "0"], environment: environment)
                defer {
                    gateway.kill()
                    projector.kill()
                }

                let base = URL(string: "http://127.0.0.1:\(port)")!
                try await eventually("the gateway answers", timeout: .seconds(60)) {
                    (try? await URLSession.shared.data(from: base.appendingPathComponent("health")))?.1.status == 200
                }
                var request = URLRequest(url: base.appendingPathComponent("api/v2/users"))
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(#"{"fname":"Tess","lname":"Ellis","email":"tess@example.org"}"#.utf8)
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect([201, 202].contains(response.status), "appended through TLS")
                let location = try #require((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Location"))
                let entity = URL(string: location, relativeTo: base)!
                try await eventually("the projector folded the write and the gateway reads it", timeout: .seconds(60)) {
                    (try? await URLSession.shared.data(from: entity))?.1.status == 200
                }
                let (body, _) = try await URLSession.shared.data(from: entity)
                #expect(String(decoding: body, as: UTF8.self).contains("tess@example.org"))
            }
        }
    }
}

private extension URLResponse {
    var status: Int? { (self as? HTTPURLResponse)?.statusCode }
}
