import Foundation
import KafkaTesting
import LocalBroker
import Log
import ProcessSupport
import StoreTesting
import Testing

/// A gateway and a projector started as separate processes, the gateway first: what a client
/// sees before the projectors have joined their groups, and after.
@Suite("Separately started roles: readiness and v1 writes before and after projectors join")
struct RoleStartupTests {
    @Test(
        "before any projector, /ready is 503 naming each read model and a v1 write is refused with nothing appended; once projectors join, /ready is 200 and the v1 contract holds",
        arguments: StoreBackend.allCases)
    func gatewayBeforeProjectors(backend: StoreBackend) async throws {
        try await TestBroker.with { broker in
            let prefix = "roles\(UUID().uuidString.prefix(6).lowercased())"
            try await EncoreTopics.ensure(
                log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                partitions: 6, logger: broker.logger)
            try await withStoreURL(backend) { store in
                let shared = ["--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--store", store, "--log-level", "warning"]
                let port = try TCPProbe.freePort()
                let gateway = try ChildProcess.encore(
                    ["gateway", "--port", "\(port)", "--auth", "none"] + shared, environment: ["ENCORE_WRITE_RATE_LIMIT": "0"])
                defer { gateway.kill() }
                let api = ChildHTTP(port: port)
                try await eventually("the gateway answers /health", timeout: .seconds(60)) {
                    (try? await api.request("GET", "/health"))?.status == 200
                }

                try await eventually("/ready says which read models have no projector", timeout: .seconds(30)) {
                    let ready = try await api.request("GET", "/ready")
                    let checks = ready.json?["checks"] as? [String: String] ?? [:]
                    return ready.status == 503
                        && ["users", "music", "playlists"].allSatisfy { checks["projector.\($0)"]?.contains("no projector") == true }
                }
                let refused = try await api.request("POST", "/api/v1/music/", json: ["Artist": "Early", "SongTitle": "Too early"])
                #expect(refused.status == 503, "\(refused.text)")
                #expect(refused.json?["error"] as? String == "no_projector", "\(refused.text)")
                #expect(refused.headers[.retryAfter] != nil)
                #expect(
                    refused.json?["detail"] as? String ?? "" != "" && refused.text.contains("not appended"),
                    "the detail says why: \(refused.text)")
                let admin = try broker.admin()
                let ends = try await admin.watermarks(topic: "\(prefix).music")
                await admin.close()
                #expect(ends.values.allSatisfy { $0.high == 0 }, "nothing was appended: \(ends)")

                let projector = try ChildProcess.encore(["projector", "--session-timeout-ms", "6000", "--metrics-port", "0"] + shared)
                defer { projector.kill() }
                try await eventually("/ready is 200 once the projectors own their partitions", timeout: .seconds(90)) {
                    let ready = try await api.request("GET", "/ready")
                    let checks = ready.json?["checks"] as? [String: String] ?? [:]
                    return ready.status == 200 && ["users", "music", "playlists"].allSatisfy { checks["projector.\($0)"] == "assigned" }
                }
                try await api.checkV1Contract("gateway and projector as separate processes on \(backend)")
            }
        }
    }
}
