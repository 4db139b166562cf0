import Domain
import Foundation
import Hummingbird
import Kafka
import Lag
import Log
import Prometheus
import Store

/// `/health` (the process answers), `/ready` (store reachable, lag measured recently and within
/// bounds, and, where reads are served, a projector owning each read model's partitions), `/lag` (every projector group's lag as JSON), `/dashboard` (the same as live charts),
/// `/metrics` (Prometheus text format) and `/openapi.json` (this API's document).
struct OperationsRoutes {
    let namespaces: ActiveNamespaces
    let monitor: LagMonitor
    let registry: PrometheusCollectorRegistry
    let lagThreshold: Int64
    let lagInterval: Duration
    /// Whether lag over the threshold makes this gateway unready: only when it serves reads. A
    /// write-only gateway can append while projectors are behind, and taking it out of service
    /// would stop every write.
    let lagLimitsReadiness: Bool

    func add(to router: Router<EncoreRequestContext>) {
        // Fixed bytes: JSONEncoder for this one-field body was 6% of a /health request's CPU.
        router.get("health") { _, _ in Self.bundled(Self.healthBody, contentType: "application/json; charset=utf-8") }
        router.get("ready") { _, _ in try await readiness() }
        router.get("openapi.json") { _, _ in Self.bundled(Self.openAPIDocument, contentType: "application/json") }
        router.get("dashboard") { _, _ in Self.bundled(Self.dashboardPage, contentType: "text/html; charset=utf-8") }
        router.get("lag") { _, _ in
            guard let report = monitor.latest else {
                throw APIError(.serviceUnavailable, "not_measured", "lag has not been measured yet", headers: [.retryAfter: "1"])
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try report.json())))
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    /// The OpenAPI 3.1 document shipped with the gateway (`Sources/Gateway/openapi.json`).
    static let openAPIDocument = resource("openapi", "json")
    /// The lag dashboard (`Sources/Gateway/dashboard.html`): one page, no external assets.
    static let dashboardPage = resource("dashboard", "html")

    private static func resource(_ name: String, _ type: String) -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: type), let data = try? Data(contentsOf: url) else {
            return Array(#"{"error":"missing","detail":"a resource is not bundled with this build"}"#.utf8)
        }
        return Array(data)
    }

    private static let healthBody = Array(#"{"status":"ok"}"#.utf8)

    private static func bundled(_ bytes: [UInt8], contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Ready when the store answers and the last lag sample is recent (so the broker answers),
    /// shows no lost data, and (when serving reads) every read model has a projector and is
    /// within the lag threshold.
    private func readiness() async throws -> EditedResponse<Readiness> {
        var checks: [String: String] = [:]
        var ready = true
        do {
            try await namespaces.catalogStore.ping()
            checks["store"] = "ok"
        } catch {
            checks["store"] = "unreachable"
            ready = false
        }
        // Generous: a sample on a loaded machine may take seconds; readiness should not flap.
        let freshness = max(lagInterval * 10, .seconds(15))
        if let report = monitor.latest, Date().timeIntervalSince(report.generatedAt) <= freshness / .seconds(1) {
            checks["broker"] = "ok"
            for group in report.groups {
                checks["lag.\(group.projection)"] = String(group.lag)
                if lagLimitsReadiness {
                    if group.lag > lagThreshold { ready = false }
                    // A read model nobody folds serves reads that never move: not ready until a
                    // projector owns its partitions.
                    switch group.members {
                    case let members? where members > 0:
                        checks["projector.\(group.projection)"] = "assigned"
                    case 0?:
                        checks["projector.\(group.projection)"] = "no projector: consumer group \(group.group) has no member"
                        ready = false
                    default:
                        checks["projector.\(group.projection)"] = "unknown: the group coordinator did not answer"
                        ready = false
                    }
                }
                if group.status == .dataLoss {
                    checks["lag.\(group.projection)"] = "data loss: the log ends before the checkpoint"
                    ready = false
                }
            }
        } else {
            checks["broker"] = monitor.latest == nil ? "not measured yet" : "no lag sample within \(freshness)"
            ready = false
        }
        let lost = monitor.lostLog
        guard lost.isEmpty else {
            // Loud: a read model built from a log the broker no longer has must not look merely slow.
            checks["log"] = "lost"
            return Readiness(
                ready: false, checks: checks, error: "data_loss", detail: "\(LogLost(problems: lost)), then restart the projectors."
            ).answer(.serviceUnavailable)
        }
        return Readiness(ready: ready, checks: checks).answer(ready ? .ok : .serviceUnavailable)
    }

    /// `/ready`'s answer: each check's state, and why when the log itself is lost.
    struct Readiness: ResponseEncodable {
        let ready: Bool
        let checks: [String: String]
        var error: String?
        var detail: String?
    }
}
