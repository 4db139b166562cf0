import Foundation
import Hummingbird
import LocalBroker
import Locking
import Logging
import ProcessSupport
import ServiceLifecycle
import StoreTesting

/// A minimal OTLP/HTTP trace collector for tests: accepts `POST /v1/traces` in the JSON encoding
/// and keeps every span it was sent, with its resource's `service.name`.
final class OTLPReceiver: Sendable {
    /// One received span, as the exporter encoded it (ids are compared, never decoded).
    struct Span: Sendable {
        var service: String
        var name: String
        var kind: Int
        var traceID: String
        var spanID: String
        var parentSpanID: String?
        var attributes: [String: String]
    }

    /// The request bodies received, shared with the route handler.
    private final class Bodies: Sendable {
        let received = Locked<[Data]>([])
    }

    let port: Int
    private let bodies = Bodies()
    private let group: ServiceGroup
    private let server: Task<Void, any Error>

    /// Starts listening on a free port of 127.0.0.1.
    init() throws {
        port = try TCPProbe.freePort()
        let router = Router()
        router.post("/v1/traces") { [bodies] request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            bodies.received.withLock { $0.append(Data(buffer: body)) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let logger = Logger(label: "test.otlp-receiver")
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        server = Task { [group] in try await group.run() }
    }

    /// The endpoint for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Every span received so far.
    var spans: [Span] {
        bodies.received.withLock { $0 }.flatMap(Self.spans(in:))
    }

    /// Shuts the server down gracefully and waits for it.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await server.result
    }

    private static func spans(in body: Data) -> [Span] {
        let export = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        return (export["resourceSpans"] as? [[String: Any]] ?? []).flatMap { resourceSpans in
            let resource = attributes(of: resourceSpans["resource"] as? [String: Any] ?? [:])
            let scopes = resourceSpans["scopeSpans"] as? [[String: Any]] ?? []
            return scopes.flatMap { ($0["spans"] as? [[String: Any]]) ?? [] }.map { span in
                Span(
                    service: resource["service.name"] ?? "",
                    name: span["name"] as? String ?? "",
                    kind: span["kind"] as? Int ?? 0,
                    traceID: span["traceId"] as? String ?? "",
                    spanID: span["spanId"] as? String ?? "",
                    parentSpanID: (span["parentSpanId"] as? String).flatMap { $0.isEmpty ? nil : $0 },
                    attributes: attributes(of: span)
                )
            }
        }
    }

    /// OTLP `attributes: [{key, value: {stringValue | intValue | …}}]` as strings.
    private static func attributes(of object: [String: Any]) -> [String: String] {
        var result: [String: String] = [:]
        for attribute in object["attributes"] as? [[String: Any]] ?? [] {
            guard let key = attribute["key"] as? String, let value = (attribute["value"] as? [String: Any])?.values.first else { continue }
            result[key] = "\(value)"
        }
        return result
    }
}
