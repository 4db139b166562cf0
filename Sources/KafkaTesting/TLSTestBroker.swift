import Foundation
import Kafka
import LocalBroker
import Logging

/// A Tansu broker reachable only through TLS: `stunnel` in front of it with a test CA's
/// certificate for `localhost`, and the broker advertising the proxy's address, since clients
/// connect to the address in the metadata after the first request.
public struct TLSTestBroker: Sendable {
    public let broker: TestBroker
    public let proxy: TLSProxy
    public let certificates: TestCertificates

    /// `localhost:<proxy port>`: the host name the server certificate is for.
    public var bootstrapServers: String { "localhost:\(proxy.port)" }

    /// The client properties that reach the broker with verification on.
    public var clientProperties: [String: String] {
        ["security.protocol": "SSL", "ssl.ca.location": certificates.authority]
    }

    /// Starts the broker and its proxy, runs `body`, and stops both even if `body` throws.
    public static func with<T: Sendable>(_ body: (TLSTestBroker) async throws -> T) async throws -> T {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let logger = TestBroker.makeLogger()
        let brokerPort = try TansuBroker.freePort()
        // The proxy's port is known only once it listens: start it first, forwarding to the
        // broker's port before the broker is up (nothing connects until the broker is).
        let proxy = try await TLSProxy(forwardingTo: brokerPort, certificates: certificates)
        defer { proxy.stop() }
        let process = TansuBroker(
            configuration: .init(
                executable: try TansuBroker.locateExecutable(), port: brokerPort, clusterID: "encore-tls-\(brokerPort)",
                advertisedAddress: "localhost:\(proxy.port)"
            ),
            logger: logger
        )
        return try await process.whileRunning {
            try await body(TLSTestBroker(broker: TestBroker(process: process, logger: logger), proxy: proxy, certificates: certificates))
        }
    }
}
