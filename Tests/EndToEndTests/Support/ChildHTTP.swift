import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Requests to the API of an `encore` child process on this machine.
struct ChildHTTP: Sendable {
    let port: Int

    struct Answer {
        var status: Int
        var text: String
        var headers: HTTPFields = [:]
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] }
    }

    /// One request on its own connection, with a read timeout (Hummingbird's test client: a
    /// request never hangs a test).
    func request(_ method: String, _ path: String, json: [String: Any]? = nil, headers: [String: String] = [:]) async throws -> Answer {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            fields[.contentType] = "application/json"
        }
        let request = TestClient.Request(
            path, method: HTTPRequest.Method(method)!, authority: "127.0.0.1:\(port)", headers: fields, body: body)
        let response = try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30))) {
            try await $0.execute(request)
        }
        return Answer(status: response.status.code, text: response.body.map { String(buffer: $0) } ?? "", headers: response.headers)
    }

    /// The original v1 contract, sent as its clients send it: every write answered 200 and read
    /// back at once; records what deviates.
    func checkV1Contract(_ round: String) async throws {
        func expectStatus(_ answer: Answer, _ status: Int, _ what: String) {
            #expect(answer.status == status, "\(round): \(what) answered \(answer.status): \(answer.text)")
        }
        let user = try await request("POST", "/api/v1/user/", json: ["fname": "Nina", "lname": "Simone", "email": "nina@example.org"])
        expectStatus(user, 200, "the first write, a user create")
        let userID = try #require(user.json?["user_id"] as? String, "\(round): \(user.text)")
        let readUser = try await request("GET", "/api/v1/user/\(userID)")
        expectStatus(readUser, 200, "the user read back")
        #expect(readUser.text.contains("nina@example.org"), "\(round): \(readUser.text)")
        expectStatus(
            try await request("PUT", "/api/v1/user/\(userID)", json: ["fname": "Nina", "lname": "Simone", "email": "nina@encore.example"]),
            200, "a user update")
        #expect(
            try await request("GET", "/api/v1/user/\(userID)").text.contains("nina@encore.example"),
            "\(round): the update is read back at once")

        let song = try await request("POST", "/api/v1/music/", json: ["Artist": "Nina Simone", "SongTitle": "Sinnerman"])
        expectStatus(song, 200, "a song create")
        let songID = try #require(song.json?["music_id"] as? String, "\(round): \(song.text)")
        expectStatus(try await request("GET", "/api/v1/music/\(songID)"), 200, "the song read back")
        let other = try #require(
            try await request("POST", "/api/v1/music/", json: ["Artist": "Nina Simone", "SongTitle": "Feeling Good"]).json?["music_id"]
                as? String)

        let playlist = try await request("POST", "/api/v1/playlist/", json: ["Name": "Evening", "Playlist": songID])
        expectStatus(playlist, 200, "a playlist create")
        let playlistID = try #require(playlist.json?["playlist_id"] as? String, "\(round): \(playlist.text)")
        expectStatus(try await request("POST", "/api/v1/playlist/\(playlistID)/add", json: ["music_id": other]), 200, "a song added")
        expectStatus(
            try await request("POST", "/api/v1/playlist/\(playlistID)/add", json: ["music_id": other]), 409, "the same song added again")
        #expect(
            try await request("GET", "/api/v1/playlist/\(playlistID)").text.contains(other), "\(round): the added song is read back at once"
        )
        expectStatus(try await request("POST", "/api/v1/playlist/\(playlistID)/delete", json: ["music_id": songID]), 200, "a song removed")
        expectStatus(try await request("DELETE", "/api/v1/playlist/\(playlistID)"), 200, "a playlist delete")
        expectStatus(try await request("GET", "/api/v1/playlist/\(playlistID)"), 404, "the deleted playlist")
        expectStatus(try await request("DELETE", "/api/v1/music/\(other)"), 200, "a song delete")
        expectStatus(try await request("GET", "/api/v1/music/\(other)"), 404, "the deleted song")
        expectStatus(try await request("DELETE", "/api/v1/user/\(userID)"), 200, "a user delete")
        expectStatus(try await request("GET", "/api/v1/user/\(userID)"), 404, "the deleted user")
    }
}
