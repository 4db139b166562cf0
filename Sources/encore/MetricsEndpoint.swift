import Hummingbird
import Logging
import Prometheus

/// `/metrics` and `/health` for processes without the gateway (the projector).
enum MetricsEndpoint {
    static func application(registry: PrometheusCollectorRegistry, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("health") { _, _ in "ok" }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("0.0.0.0", port: port), serverName: "encore-projector"), logger: logger)
    }
}
