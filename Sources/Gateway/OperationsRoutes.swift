import Domain
import Foundation
import Hummingbird
import Kafka
import Prometheus
import Store

/// `/health` (the process answers), `/ready` (broker and store reachable, projections close to
/// the log end), `/metrics` (Prometheus text format) and `/openapi.json` (this API's document).
struct OperationsRoutes {
    let store: any ReadModelStore
    let admin: KafkaAdmin
    let registry: PrometheusCollectorRegistry
    let topicPrefix: String
    let lagThreshold: Int64

    func add(to router: Router<EncoreRequestContext>) {
        router.get("health") { _, _ in try JSONResponse.make(.ok, ["status": "ok"]) }
        router.get("ready") { _, _ in try await readiness() }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Self.openAPIDocument)))
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    /// The OpenAPI 3.1 document shipped with the gateway (`Sources/Gateway/openapi.json`).
    static let openAPIDocument: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            return Array(#"{"error":"missing","detail":"openapi.json is not bundled with this build"}"#.utf8)
        }
        return Array(data)
    }()

    private func readiness() async throws -> Response {
        var checks: [String: String] = [:]
        var ready = true
        do {
            try await store.ping()
            checks["store"] = "ok"
        } catch {
            checks["store"] = "unreachable"
            ready = false
        }
        do {
            _ = try await admin.clusterID(timeout: .seconds(2))
            checks["broker"] = "ok"
        } catch {
            checks["broker"] = "unreachable"
            ready = false
        }
        if ready {
            for kind in EntityKind.allCases {
                let topic = kind.topic(prefix: topicPrefix)
                do {
                    let ends = try await admin.watermarks(topic: topic, timeout: .seconds(2))
                    let checkpoints = try await store.checkpoints(projection: kind.topicSuffix)
                    let lag = ends.reduce(Int64(0)) { total, entry in
                        let done = checkpoints.first { $0.topic == topic && $0.partition == entry.key.partition }?.offset ?? 0
                        return total + max(0, entry.value.high - done)
                    }
                    checks["lag.\(kind.topicSuffix)"] = String(lag)
                    if lag > lagThreshold { ready = false }
                } catch {
                    checks["lag.\(kind.topicSuffix)"] = "unknown"
                    ready = false
                }
            }
        }
        return try JSONResponse.make(ready ? .ok : .serviceUnavailable, ["ready": ready, "checks": checks])
    }
}
