import Domain
import Foundation
import KafkaTesting
import StoreTesting
import Testing

@Suite("encore load")
struct LoadCommandTests {
    static var fixtures: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/original")
            .path
    }

    @Test("loads the original CSV files with their UUIDs; running it again appends nothing")
    func loadTwice() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            let storeURL = try #require(encore.storeURL)
            let arguments = [
                "load", Self.fixtures, "--brokers", encore.broker.bootstrapServers, "--topic-prefix", encore.prefix,
                "--store", storeURL, "--log-level", "error",
            ]
            let first = try await ChildProcess.run(arguments)
            #expect(first.status == 0, "\(first.output)")
            #expect(first.output.contains("music: appended 3 create command(s)"), "\(first.output)")

            let playlist = "7e6d5c4b-aaaa-4bbb-8ccc-dddd0000eeee"
            try await eventually("all six entities are projected") {
                let songs = try await encore.request(.get, "/api/v1/music/").json["Count"] as? Int
                let users = try await encore.request(.get, "/api/v1/user/3f0c2a8e-5d4b-4c1a-9e2f-1b7d6c5a4e31").status
                let list = try await encore.request(.get, "/api/v1/playlist/\(playlist)").status
                return songs == 3 && users == .ok && list == .ok
            }
            let song = try await encore.request(.get, "/api/v1/music/0a1b2c3d-2222-4333-8444-555566667777")
            #expect(song.item["SongTitle"] as? String == "Computer Love, Reprise")
            #expect(try await encore.request(.get, "/api/v1/user/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d").item["fname"] as? String == "Nina")
            #expect(
                try await encore.request(.get, "/api/v1/playlist/\(playlist)").item["Playlist"] as? [String]
                    == ["0a1b2c3d-1111-4222-8333-444455556666", "0a1b2c3d-3333-4444-8555-666677778888"])

            let before = try await encore.logEnds()
            let second = try await ChildProcess.run(arguments)
            #expect(second.status == 0, "\(second.output)")
            #expect(second.output.contains("skipped 6 entities already in the catalog"), "\(second.output)")
            #expect(try await encore.logEnds() == before, "nothing appended")
        }
    }

    @Test("a playlist naming an unknown song is refused before anything is appended")
    func unknownSongRefused() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-load-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "Artist,SongTitle,UUID\nA,B,\(UUID().uuidString)\n".write(
                to: directory.appendingPathComponent("music.csv"), atomically: true, encoding: .utf8)
            try "Name,Playlist,UUID\nP,\"\(UUID().uuidString)\",\(UUID().uuidString)\n".write(
                to: directory.appendingPathComponent("playlist.csv"), atomically: true, encoding: .utf8)
            let before = try await encore.logEnds()
            let result = try await ChildProcess.run([
                "load", directory.path, "--brokers", encore.broker.bootstrapServers, "--topic-prefix", encore.prefix,
                "--store", try #require(encore.storeURL), "--log-level", "error",
            ])
            #expect(result.status != 0)
            #expect(result.output.contains("neither in music.csv nor in the catalog"), "\(result.output)")
            #expect(try await encore.logEnds() == before)
        }
    }
}
