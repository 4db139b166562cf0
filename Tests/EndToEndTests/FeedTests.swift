import Domain
import Foundation
import Gateway
import HTTPTypes
import KafkaTesting
import Log
import Replay
import StoreTesting
import Testing

/// Live change feeds (`GET /api/v2/{kind}/events`, `/{kind}/{id}/events`) read by a curl-style
/// client on its own socket, against the whole system.
@Suite("Change feeds over Server-Sent Events")
struct FeedTests {
    @Test(
        "entity and collection feeds: changes in order with their own version's state, rejections when asked, resume without gap or duplicate, 429 beyond the stream limit",
        arguments: StoreBackend.allCases)
    func feeds(backend: StoreBackend) async throws {
        try await EncoreHarness.with(
            backend,
            gateway: { configuration in
                configuration.feeds.streamsPerClient = 5
                configuration.feeds.heartbeat = .milliseconds(200)
            }
        ) { encore in
            let port = try #require(encore.client.port)
            let collection = try await EventStreamClient.open(port: port, path: "/api/v2/music/events")
            #expect(collection.status == 200)
            #expect(collection.headers["content-type"] == "text/event-stream")
            let withRejected = try await EventStreamClient.open(port: port, path: "/api/v2/music/events?include=rejected")

            let created = try await encore.request(.post, "/api/v2/music", json: ["artist": "Can", "songTitle": "Vitamin C"])
            let location = try #require(created.headers[.location])
            let song = try #require(created.json["id"] as? String)
            let entity = try await EventStreamClient.open(port: port, path: "\(location)/events")
            #expect(try await EventStreamClient.open(port: port, path: "/api/v2/music/\(UUID().lowercasedString)/events").status == 404)
            #expect(try await EventStreamClient.open(port: port, path: "/api/v2/music/events?after=nonsense").status == 400)

            #expect(
                try await encore.request(.put, location, json: ["artist": "Can", "songTitle": "Mother Sky"], headers: [.ifMatch: "\"1\""])
                    .status == .ok)
            // A stale write the gateway would refuse before the log (412) reaches the fold only
            // around the gateway, e.g. from a writer that passed the check at the same time.
            try await encore.append([
                Command(
                    entityID: try #require(UUID(uuidString: song)), expectedVersion: 1,
                    action: .updateMusic(Song(artist: "Can", songTitle: "Stale")))
            ])
            #expect(try await encore.request(.delete, location, headers: [.ifMatch: "\"2\""]).status == .noContent)
            var others: [String] = []
            for title in ["Halleluhwah", "Oh Yeah"] {
                others.append(
                    try #require(
                        try await encore.request(.post, "/api/v2/music", json: ["artist": "Can", "songTitle": title]).json["id"] as? String)
                )
            }

            // The collection: every applied change; one entity's in log order, each with the state after it.
            let changes = try await collection.events(5)
            let ofSong = changes.filter { $0.json["id"] as? String == song }
            #expect(ofSong.map(\.name) == ["music.create", "music.update", "music.delete"])
            #expect(ofSong.map { $0.json["version"] as? Int } == [1, 2, 3])
            #expect(ofSong.map { $0.json["songTitle"] as? String } == ["Vitamin C", "Mother Sky", nil])
            #expect(ofSong[2].json["deleted"] as? Bool == true)
            #expect(Set(changes.compactMap { $0.json["id"] as? String }) == Set([song] + others))
            // Ids are positions on every partition: each event's covers the one before.
            let positions = changes.map { Self.position($0.id) }
            #expect(
                zip(positions, positions.dropFirst()).allSatisfy { earlier, later in
                    earlier.allSatisfy { later[$0.key, default: -1] >= $0.value }
                })

            // Rejections only when asked.
            let all = try await withRejected.events(6)
            #expect(all.filter { $0.name != "rejected" }.map(\.data) == changes.map(\.data))
            let rejected = try #require(all.first { $0.name == "rejected" }).json
            #expect(rejected["id"] as? String == song)
            #expect(rejected["type"] as? String == "music.update")
            #expect(rejected["reason"] as? String == "version_mismatch")

            // The entity: what came after it was opened; its ids are its partition's offsets.
            let own = try await entity.events(2)
            #expect(own.map(\.name) == ["music.update", "music.delete"])
            #expect(own.map(\.data) == ofSong.dropFirst().map(\.data))
            #expect(own.allSatisfy { $0.id?.firstMatch(of: /^\d+:\d+$/) != nil })

            // Resuming after the second event gets exactly the rest, then goes on live.
            // (Across partitions the order may differ from the live one: one partition at a time.)
            let resumed = try await EventStreamClient.open(
                port: port, path: "/api/v2/music/events", headers: ["Last-Event-ID": try #require(changes[1].id)])
            #expect(try await resumed.events(3).map(\.data).sorted() == changes.dropFirst(2).map(\.data).sorted())
            let later = try #require(
                try await encore.request(.post, "/api/v2/music", json: ["artist": "Can", "songTitle": "Spoon"]).json["id"] as? String)
            #expect(try await resumed.next()?.json["id"] as? String == later)
            // ?after= on an entity: its changes after that event only.
            let entityAfter = try await EventStreamClient.open(port: port, path: "\(location)/events?after=\(try #require(own[0].id))")
            #expect(try await entityAfter.next()?.data == own[1].data)

            // Five streams are open (collection, withRejected, entity, resumed, entityAfter): the sixth is refused.
            let refused = try await EventStreamClient.open(port: port, path: "/api/v2/users/events")
            #expect(refused.status == 429)
            #expect(refused.headers["retry-after"] != nil)
            // A client that hangs up gives its slot back (noticed at the next heartbeat at the latest).
            entityAfter.close()
            try await eventually("a closed stream's slot is free again", timeout: .seconds(10)) {
                try await EventStreamClient.open(port: port, path: "/api/v2/users/events").status == 200
            }
            try await eventually("an idle stream gets heartbeats", timeout: .seconds(10)) {
                try await collection.drainComments().contains("keep-alive")
            }
        }
    }

    @Test(
        "a client that stops reading is closed after it overflows, while another client of the same feed gets every change across partitions at once"
    )
    func slowClient() async throws {
        try await EncoreHarness.with(
            .sqlite,
            gateway: { configuration in
                configuration.feeds.bufferedEvents = 200
                configuration.feeds.overflowGrace = .milliseconds(300)
            }
        ) { encore in
            let port = try #require(encore.client.port)
            // A small receive buffer that is never read: the gateway's writes to it soon stall.
            let slow = try await EventStreamClient.open(port: port, path: "/api/v2/music/events", receiveBuffer: 2048)
            let fast = try await EventStreamClient.open(port: port, path: "/api/v2/music/events")
            // ~1 KB events, 3 MB in all: more than the socket buffers on both ends hold.
            let long = String(repeating: "x", count: 450)
            var received: [EventStreamClient.Event] = []
            var songs: [UUID] = []
            for round in 0..<30 {
                let batch = (0..<100).map { _ in
                    Command(entityID: UUID(), action: .createMusic(Song(artist: long, songTitle: "\(round) \(long)")))
                }
                songs += batch.map(\.entityID)
                try await encore.append(batch)
                // The fast client keeps up round by round, whatever the slow one does.
                received += try await fast.events(100, timeout: .seconds(30))
            }
            #expect(Set(received.compactMap { $0.json["id"] as? String }) == Set(songs.map(\.lowercasedString)))
            #expect(Self.position(received.last?.id).count > 1, "the changes came from several partitions")

            // The slow client's stream ended: what it got is a prefix of the same events, then
            // (if its writer got to it) the overflow event saying where to resume.
            let got = try await slow.rest(timeout: .seconds(10))
            let events = got.filter { $0.name != "overflow" }
            #expect(events.count < received.count)
            #expect(events.map(\.data) == received.prefix(events.count).map(\.data))
            if let overflow = got.last, overflow.name == "overflow", let last = events.last {
                #expect(overflow.json["lastEventId"] as? String == last.id)
            }
        }
    }

    @Test(
        "a collection feed goes on across a replay's namespace switch without a repeat or a gap, and resumes across it",
        arguments: StoreBackend.allCases)
    func acrossReplay(backend: StoreBackend) async throws {
        try await EncoreHarness.with(backend) { encore in
            let port = try #require(encore.client.port)
            let feed = try await EventStreamClient.open(port: port, path: "/api/v2/music/events")
            func create(_ title: String) async throws -> String {
                try #require(
                    try await encore.request(.post, "/api/v2/music", json: ["artist": "Neu!", "songTitle": title]).json["id"] as? String)
            }
            var before: [String] = []
            for title in ["Hallogallo", "Negativland", "Isi"] { before.append(try await create(title)) }
            let first = try await feed.events(3)
            #expect(Set(first.compactMap { $0.json["id"] as? String }) == Set(before))

            let summary = try await Replayer(
                configuration: ReplayConfiguration(
                    log: LogLocation(brokers: encore.broker.bootstrapServers, topicPrefix: encore.prefix, kafkaProperties: [:])),
                store: encore.store, keys: encore.keys, logger: encore.broker.logger
            ).run()
            #expect(summary.models.allSatisfy { $0.active })
            try await eventually("the gateway serves the rebuilt namespace", timeout: .seconds(30)) {
                let groups = try await encore.request(.get, "/lag").json["groups"] as? [[String: Any]] ?? []
                return groups.count == 3 && groups.allSatisfy { $0["namespace"] as? String == summary.namespace }
            }
            var after: [String] = []
            for title in ["Seeland", "Leb' wohl", "After Eight"] { after.append(try await create(title)) }
            // The next three events are the new songs: nothing from before the switch again.
            let second = try await feed.events(3)
            #expect(Set(second.compactMap { $0.json["id"] as? String }) == Set(after))

            // Resuming from the last event before the switch gets exactly the songs after it.
            let resumed = try await EventStreamClient.open(
                port: port, path: "/api/v2/music/events", headers: ["Last-Event-ID": try #require(first.last?.id)])
            #expect(Set(try await resumed.events(3).compactMap { $0.json["id"] as? String }) == Set(after))
        }
    }

    /// An event id as partition → offset.
    static func position(_ id: String?) -> [Int: Int] {
        var offsets: [Int: Int] = [:]
        for pair in (id ?? "").split(separator: ",") {
            let parts = pair.split(separator: ":")
            if parts.count == 2, let partition = Int(parts[0]), let offset = Int(parts[1]) { offsets[partition] = offset }
        }
        return offsets
    }
}
