import Domain
import Foundation
import Hummingbird
import KafkaTesting
import LocalBroker
import Locking
import Logging
import ProcessSupport
import ServiceLifecycle
import StoreTesting
import Testing

/// A change feed read by headless Chromium's own `EventSource`, from a page of the test's on
/// another origin (the gateway grants it with `--cors-origins`), authenticated with the feed's
/// `access_token` parameter, across a restart of the gateway process that serves it.
@Suite("Change feeds in a browser")
struct FeedBrowserTests {
    @Test(
        "EventSource on another origin, with a token, gets every change once across a restart of its gateway mid-stream (it resumes with Last-Event-ID)"
    )
    func eventSourceAcrossRestart() async throws {
        try await EncoreHarness.with(.sqlite, auth: .jwt) { encore in
            let storeURL = try #require(encore.storeURL)
            let user = try await encore.request(
                .post, "/api/v1/user/", json: ["fname": "Page", "lname": "Test", "email": "page@example.org"])
            let login = try await encore.request(
                .put, "/api/v1/user/login", json: ["uid": try #require(user.json["user_id"] as? String, "\(user.text)")])
            let token = login.text
            let page = try PageServer()
            let port = try TCPProbe.freePort()
            // The feed comes from a real `encore gateway` process; writes go through the harness's gateway.
            let arguments = [
                "gateway", "--port", "\(port)", "--auth", "jwt", "--jwt-secret", EncoreHarness.jwtSecret, "--cors-origins", page.origin,
                "--brokers", encore.broker.bootstrapServers, "--topic-prefix", encore.prefix, "--store", storeURL, "--log-level", "error",
            ]
            var gateway = try ChildProcess.encore(arguments)
            try await Self.awaitHealthy(port: port)
            let browser = try Self.chromium(page.url(feed: "http://127.0.0.1:\(port)/api/v2/music/events?access_token=\(token)"))
            defer { browser.kill() }

            var songs: [String] = []
            func create(_ title: String) async throws {
                let created = try await encore.request(
                    .post, "/api/v2/music", json: ["artist": "Neu!", "songTitle": title], headers: [.authorization: "Bearer \(token)"])
                songs.append(try #require(created.json["id"] as? String, "\(created.text)"))
            }
            try await eventually("the page's EventSource is open", timeout: .seconds(60)) { page.reports.contains { $0.kind == "open" } }
            for title in ["Hallogallo", "Weissensee", "Negativland"] { try await create(title) }
            try await eventually("the page got the first three changes", timeout: .seconds(30)) { page.events.count >= 3 }

            // Stopped gracefully (it ends its streams), changes made while it is down, started again on the same port.
            let stopped = try await Self.stop(gateway)
            #expect(stopped, "the gateway stopped within 15 s although a stream was open")
            for title in ["Seeland", "Isi", "Leb' wohl"] { try await create(title) }
            gateway = try ChildProcess.encore(arguments)
            defer { gateway.kill() }
            try await eventually("the page got all six changes after the restart", timeout: .seconds(60)) { page.events.count >= 6 }

            // Once each, the first three before the restart: across partitions the order is not
            // the writes' (a resumed backlog is read a partition at a time, and the page's reports
            // are separate requests).
            let events = page.events
            #expect(events.compactMap(\.entity).sorted() == songs.sorted(), "every change once")
            #expect(Set(events.prefix(3).compactMap(\.entity)) == Set(songs.prefix(3)))
            #expect(events.allSatisfy { $0.type == "music.create" })
            let opens = page.reports.filter { $0.kind == "open" }
            #expect(opens.count >= 2, "EventSource reconnected")
            await page.stop()
        }
    }

    /// Waits until `/health` answers on `port`.
    static func awaitHealthy(port: Int) async throws {
        try await eventually("the gateway answers /health", timeout: .seconds(60)) {
            (try? await EventStreamClient.open(port: port, path: "/health").status) == 200
        }
    }

    /// SIGTERM, then whether it exited within 15 s (else SIGKILL).
    static func stop(_ child: ChildProcess) async throws -> Bool {
        child.process.terminate()
        let deadline = ContinuousClock.now + .seconds(15)
        while child.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let exited = !child.process.isRunning
        child.kill()
        return exited
    }

    /// Headless Chromium showing `url` until killed, with the browser's usual web security: the
    /// page's origin is the test's server, the feed's is the gateway's.
    static func chromium(_ url: String) throws -> ChildProcess {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("encore-chromium-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=\(profile.path)", url,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return ChildProcess(adopting: process)
    }
}

/// Serves the test's page, whose script opens an `EventSource` on the feed its URL names and
/// posts back each event (type, id, entity) and each open.
final class PageServer: Sendable {
    /// Where the page is served from, as the browser sends it in `Origin`.
    let origin: String
    /// What the page posts.
    struct Report: Decodable, Sendable {
        var kind: String
        var type: String?
        var id: String?
        var entity: String?
    }

    private let received = Locked<[Report]>([])
    private let group: ServiceGroup
    private let server: Task<Void, any Error>

    init() throws {
        let port = try TCPProbe.freePort()
        origin = "http://127.0.0.1:\(port)"
        let html = """
            <!doctype html><meta charset="utf-8"><title>feed</title>
            <script>
            const report = (body) => fetch("/report", { method: "POST", body: JSON.stringify(body) });
            const source = new EventSource(new URLSearchParams(location.search).get("feed"));
            source.onopen = () => report({ kind: "open" });
            source.addEventListener("music.create", (event) => report({ kind: "event", type: event.type, id: event.lastEventId, entity: JSON.parse(event.data).id }));
            </script>
            """
        let router = Router()
        router.get("/page") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.post("/report") { [received] request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            let report = try JSONDecoder().decode(Report.self, from: Data(buffer: body))
            received.withLock { $0.append(report) }
            return Response(status: .noContent)
        }
        let logger = Logger(label: "test.page-server")
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        server = Task { [group] in try await group.run() }
    }

    /// The page, opening an `EventSource` on `feed`.
    func url(feed: String) -> String {
        "\(origin)/page?feed=\(feed.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? feed)"
    }

    /// What the page reported, in arrival order.
    var reports: [Report] { received.withLock { $0 } }
    var events: [Report] { reports.filter { $0.kind == "event" } }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await server.result
    }
}
