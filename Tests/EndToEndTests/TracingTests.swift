import Domain
import Foundation
import HTTPTypes
import KafkaTesting
import LocalBroker
import Log
import ProcessSupport
import Projection
import Projector
import StoreTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Tracing and structured logs across real processes: a gateway and a projector exporting
/// spans over OTLP/HTTP (JSON) to an in-test receiver, logging JSON lines to files.
@Suite("Tracing and JSON logs")
struct TracingTests {
    @Test("one trace links the HTTP request, the produce and the projector's apply; JSON log lines carry the request and command ids")
    func requestToReadModelIsOneTrace() async throws {
        let receiver = try OTLPReceiver()
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("encore-tracing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: logs) }
        do {
            try await traceOneWrite(receiver: receiver, logs: logs)
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("the gateway answers the caller's X-Request-Id, or a new one where it is missing or unsafe to log")
    func requestIDs() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            let header = HTTPField.Name("X-Request-Id")!
            let echoed = try await encore.request(.get, "/health", headers: [header: "client-42"])
            #expect(echoed.headers[header] == "client-42")
            for sent in [nil, "two words", String(repeating: "x", count: 129)] {
                let answer = try await encore.request(.get, "/health", headers: sent.map { [header: $0] } ?? [:])
                let id = try #require(answer.headers[header])
                #expect(UUID(uuidString: id) != nil, "\(id) replaces \(sent ?? "no id")")
            }
            let first = try await encore.request(.get, "/health").headers[header]
            let second = try await encore.request(.get, "/health").headers[header]
            #expect(first != second, "a new id per request")
        }
    }

    /// Starts a broker, a gateway and a projector process, writes once and checks the trace and the logs.
    private func traceOneWrite(receiver: OTLPReceiver, logs: URL) async throws {
        try await TestBroker.with { broker in
            let prefix = "trace\(UUID().uuidString.prefix(6).lowercased())"
            try await EncoreTopics.ensure(
                log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                partitions: 6, logger: broker.logger)
            try await withStoreURL(.sqlite) { store in
                let environment = [
                    "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
                    "OTEL_BSP_SCHEDULE_DELAY": "100",
                    "ENCORE_LOG_FORMAT": "json",
                ]
                let shared = ["--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--store", store, "--log-level", "debug"]
                let port = try TCPProbe.freePort()
                let gatewayLog = try Self.logFile("gateway", in: logs)
                let projectorLog = try Self.logFile("projector", in: logs)
                let gateway = try ChildProcess.encore(
                    ["gateway", "--port", "\(port)", "--auth", "none"] + shared, environment: environment, standardError: gatewayLog.handle)
                let projector = try ChildProcess.encore(
                    ["projector", "--session-timeout-ms", "6000", "--metrics-port", "0"] + shared,
                    environment: environment, standardError: projectorLog.handle
                )
                defer {
                    gateway.kill()
                    projector.kill()
                }

                let base = URL(string: "http://127.0.0.1:\(port)")!
                try await eventually("the gateway answers", timeout: .seconds(60)) {
                    (try? await URLSession.shared.data(from: base.appendingPathComponent("health")))?.1.status == 200
                }
                let requestID = "trace-test-\(UUID().uuidString.prefix(8))"
                var request = URLRequest(url: base.appendingPathComponent("api/v2/users"))
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.setValue("respond-async", forHTTPHeaderField: "Prefer")
                request.setValue(requestID, forHTTPHeaderField: "X-Request-Id")
                request.httpBody = Data(#"{"fname":"Alice","lname":"Coltrane","email":"alice@example.org"}"#.utf8)
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect(response.status == 202)
                #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "X-Request-Id") == requestID)

                var chain: (request: OTLPReceiver.Span, produce: OTLPReceiver.Span, apply: OTLPReceiver.Span)?
                try await eventually("the request's trace reaches the projector's apply span", timeout: .seconds(90)) {
                    chain = Self.requestProduceApply(in: receiver.spans)
                    return chain != nil
                }
                let spans = try #require(chain)
                #expect(spans.request.service == "encore-gateway" && spans.request.kind == 2, "server span of the gateway")
                #expect(spans.request.name.hasPrefix("/api/v2/users"), "named after the route")
                #expect(spans.produce.service == "encore-gateway" && spans.produce.kind == 4, "producer span of the gateway")
                #expect(spans.apply.service == "encore-projector" && spans.apply.kind == 5, "consumer span of the projector")
                #expect(spans.produce.name == "produce \(prefix).users")
                #expect(spans.apply.name == "apply user.create")
                #expect(spans.apply.attributes["encore.outcome"] == "applied")
                let commandID = try #require(spans.produce.attributes["encore.command.id"])
                #expect(spans.apply.attributes["encore.command.id"] == commandID)

                let gatewayLines = try Self.jsonLines(gatewayLog.url)
                #expect(!gatewayLines.isEmpty)
                for line in gatewayLines {
                    #expect(["timestamp", "level", "label", "message", "metadata"].allSatisfy { line[$0] != nil }, "\(line)")
                }
                let appended = gatewayLines.first { $0["message"] as? String == "command appended" }
                let appendedMetadata = try #require(appended?["metadata"] as? [String: Any])
                #expect(appendedMetadata["request.id"] as? String == requestID)
                #expect(appendedMetadata["command.id"] as? String == commandID)
                let folded = try Self.jsonLines(projectorLog.url).first { $0["message"] as? String == "command folded" }
                #expect((folded?["metadata"] as? [String: Any])?["command.id"] as? String == commandID)
            }
        }
    }

    /// The first server span whose trace holds a producer span under it and a consumer span under that.
    static func requestProduceApply(in spans: [OTLPReceiver.Span]) -> (
        request: OTLPReceiver.Span, produce: OTLPReceiver.Span, apply: OTLPReceiver.Span
    )? {
        for apply in spans where apply.kind == 5 {
            guard let produce = spans.first(where: { $0.kind == 4 && $0.spanID == apply.parentSpanID && $0.traceID == apply.traceID }),
                let request = spans.first(where: { $0.kind == 2 && $0.spanID == produce.parentSpanID && $0.traceID == produce.traceID })
            else { continue }
            return (request, produce, apply)
        }
        return nil
    }

    static func logFile(_ name: String, in directory: URL) throws -> (url: URL, handle: FileHandle) {
        let url = directory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        return (url, try FileHandle(forWritingTo: url))
    }

    /// Every non-empty line of a log file, each of which must be a JSON object.
    static func jsonLines(_ url: URL) throws -> [[String: Any]] {
        try String(decoding: Data(contentsOf: url), as: UTF8.self).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }
}

private extension URLResponse {
    var status: Int? { (self as? HTTPURLResponse)?.statusCode }
}
