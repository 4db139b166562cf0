import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import KafkaTesting
import StoreTesting
import Testing

/// Claims as any HS256 issuer could mint them, including ones Encore itself never issues.
private struct MintedClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var nbf: NotBeforeClaim?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

@Suite("Security: tokens, who may write, write rate limits, header limits")
struct SecurityTests {
    /// Registers a user (a public route) and logs them in: their id and an Authorization header.
    private static func signUp(_ encore: EncoreHarness, _ name: String) async throws -> (id: String, auth: HTTPFields) {
        let created = try await encore.request(
            .post, "/api/v1/user/", json: ["fname": name, "lname": "Test", "email": "\(name)@example.org"])
        let id = try #require(created.json["user_id"] as? String, "\(created.text)")
        let login = try await encore.request(.put, "/api/v1/user/login", json: ["uid": id])
        #expect(login.status == .ok)
        return (id, [.authorization: "Bearer \(login.text)"])
    }

    private static func mint(_ claims: MintedClaims, secret: String = EncoreHarness.jwtSecret) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }

    private static func claims(sub: String, exp: TimeInterval = 3600, nbf: TimeInterval? = nil) -> MintedClaims {
        let now = Date()
        return MintedClaims(
            sub: SubjectClaim(value: sub), exp: ExpirationClaim(value: now.addingTimeInterval(exp)), iat: IssuedAtClaim(value: now),
            nbf: nbf.map { NotBeforeClaim(value: now.addingTimeInterval($0)) }
        )
    }

    private static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test("JWT: wrong signature, alg none, expired, not yet valid, unknown user and deleted user are all 401")
    func tokens() async throws {
        try await EncoreHarness.with(.sqlite, auth: .jwt) { encore in
            let alice = try await Self.signUp(encore, "alice")
            let bob = try await Self.signUp(encore, "bob")
            let target = "/api/v1/user/\(alice.id)"
            #expect(try await encore.request(.get, target, headers: alice.auth).status == .ok)
            #expect(
                try await encore.request(
                    .get, target, headers: [.authorization: "Bearer \(try await Self.mint(Self.claims(sub: alice.id)))"]
                ).status == .ok,
                "a token minted with the configured secret is accepted: the cases below fail for their one defect")

            let payload =
                #"{"sub":"\#(alice.id)","exp":\#(Int(Date().timeIntervalSince1970) + 3600),"iat":\#(Int(Date().timeIntervalSince1970))}"#
            let refused: [(String, String)] = [
                ("wrong signature", try await Self.mint(Self.claims(sub: alice.id), secret: "some-other-secret-of-at-least-32-bytes!!")),
                ("alg none", Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + Self.base64URL(payload) + "."),
                ("expired", try await Self.mint(Self.claims(sub: alice.id, exp: -60))),
                ("not yet valid", try await Self.mint(Self.claims(sub: alice.id, nbf: 3600))),
                ("unknown user", try await Self.mint(Self.claims(sub: UUID().uuidString.lowercased()))),
                ("subject not a user id", try await Self.mint(Self.claims(sub: "admin"))),
            ]
            for (defect, token) in refused {
                let answer = try await encore.request(.get, target, headers: [.authorization: "Bearer \(token)"])
                #expect(answer.status == .unauthorized, "\(defect): \(answer.text)")
                #expect(answer.json["error"] as? String == "unauthorized", "\(defect)")
                #expect(answer.headers[.wwwAuthenticate] == "Bearer", "\(defect)")
            }

            #expect(try await encore.request(.delete, "/api/v1/user/\(bob.id)", headers: bob.auth).status == .ok)
            let deleted = try await encore.request(.get, target, headers: bob.auth)
            #expect(deleted.status == .unauthorized, "a deleted user's token no longer works: \(deleted.text)")
            #expect((deleted.json["detail"] as? String)?.contains("does not exist") == true)
        }
    }

    @Test("authorization: a user changes only their own record; music and playlists only their creator")
    func ownership() async throws {
        try await EncoreHarness.with(.sqlite, auth: .jwt) { encore in
            let alice = try await Self.signUp(encore, "alice")
            let bob = try await Self.signUp(encore, "bob")
            let song = try #require(
                try await encore.request(.post, "/api/v1/music/", json: ["Artist": "Alice", "SongTitle": "Mine"], headers: alice.auth)
                    .json["music_id"] as? String)
            let playlist = try await encore.request(
                .post, "/api/v2/playlists", json: ["name": "Alice's", "songs": [song]], headers: alice.auth)
            let list = try #require(playlist.json["id"] as? String, "\(playlist.text)")
            try await encore.awaitProjected()
            let before = try await encore.logEnds()

            let attempts: [(HTTPRequest.Method, String, [String: Any]?)] = [
                (.put, "/api/v1/user/\(alice.id)", ["fname": "Mallory", "lname": "X", "email": "m@example.org"]),
                (.delete, "/api/v1/user/\(alice.id)", nil),
                (.put, "/api/v2/users/\(alice.id)", ["fname": "Mallory", "lname": "X", "email": "m@example.org"]),
                (.delete, "/api/v1/music/\(song)", nil),
                (.delete, "/api/v2/music/\(song)", nil),
                (.put, "/api/v2/playlists/\(list)/name", ["name": "Bob's now"]),
                (.post, "/api/v1/playlist/\(list)/delete", ["music_id": song]),
                (.delete, "/api/v2/playlists/\(list)", nil),
            ]
            for (method, path, body) in attempts {
                let answer = try await encore.request(method, path, json: body, headers: bob.auth)
                #expect(answer.status == .forbidden, "\(method) \(path) by another user: \(answer.text)")
                #expect(answer.json["error"] as? String == "forbidden")
            }
            #expect(try await encore.logEnds() == before, "refused writes append nothing")
            #expect(try await encore.request(.get, "/api/v1/user/\(alice.id)", headers: bob.auth).item["fname"] as? String == "alice")

            #expect(
                try await encore.request(.put, "/api/v2/playlists/\(list)/name", json: ["name": "Still Alice's"], headers: alice.auth)
                    .status == .ok)
            #expect(
                try await encore.request(.post, "/api/v1/music/", json: ["Artist": "Bob", "SongTitle": "His"], headers: bob.auth).status
                    == .ok,
                "anyone signed in adds music")
            #expect(try await encore.request(.delete, "/api/v1/music/\(song)", headers: alice.auth).status == .ok)
        }
    }

    @Test("with login by id turned off, login answers 403 and tokens from elsewhere still work")
    func loginByIDOff() async throws {
        try await EncoreHarness.with(.sqlite, auth: .jwt, gateway: { $0.loginByID = false }) { encore in
            let created = try await encore.request(
                .post, "/api/v1/user/", json: ["fname": "Ada", "lname": "L", "email": "ada@example.org"])
            let id = try #require(created.json["user_id"] as? String)
            let login = try await encore.request(.put, "/api/v1/user/login", json: ["uid": id])
            #expect(login.status == .forbidden)
            #expect(login.json["error"] as? String == "login_disabled")
            let minted = try await Self.mint(Self.claims(sub: id))
            #expect(try await encore.request(.get, "/api/v1/user/\(id)", headers: [.authorization: "Bearer \(minted)"]).status == .ok)
        }
    }

    @Test("a client writing faster than its limit gets 429 with Retry-After and nothing appended; other clients and reads go on")
    func writeRateLimit() async throws {
        try await EncoreHarness.with(.sqlite, auth: .jwt, gateway: { $0.writeRateLimit = 2 }) { encore in
            let alice = try await Self.signUp(encore, "alice")
            let bob = try await Self.signUp(encore, "bob")
            try await encore.awaitProjected()
            let before = try await encore.logEnds().values.reduce(0, +)
            var headers = alice.auth
            headers[.init("Prefer")!] = "respond-async"

            let started = ContinuousClock.now
            var accepted = 0
            var limited: [Answer] = []
            // All at once, and many: one after another, a loaded machine can take longer per write
            // than the refill interval (0.5 s), and a loaded CI run once took over 4 s for twelve,
            // letting every one through; 40 would need 18 s.
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for index in 0..<40 {
                    group.addTask { [headers] in
                        try await encore.request(.post, "/api/v2/music", json: ["artist": "A", "songTitle": "\(index)"], headers: headers)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for answer in answers {
                if answer.status == .accepted { accepted += 1 } else { limited.append(answer) }
            }
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            #expect(accepted >= 4, "the burst (twice the rate) passes")
            #expect(Double(accepted) <= 4 + 2 * elapsed + 1, "no more than the burst plus the refill: \(accepted) in \(elapsed) s")
            #expect(!limited.isEmpty)
            for answer in limited {
                #expect(answer.status == .tooManyRequests)
                #expect(answer.json["error"] as? String == "rate_limited")
                #expect(Int(answer.headers[.retryAfter] ?? "") ?? 0 >= 1, "Retry-After in whole seconds")
            }
            #expect(try await encore.logEnds().values.reduce(0, +) - before == Int64(accepted), "exactly the accepted writes were appended")

            #expect(
                try await encore.request(.post, "/api/v2/music", json: ["artist": "B", "songTitle": "b"], headers: bob.auth).status
                    == .created,
                "another client has its own budget")
            #expect(try await encore.request(.get, "/api/v1/user/\(alice.id)", headers: alice.auth).status == .ok, "reads are not limited")
            try await eventually("alice may write again once her bucket refilled", timeout: .seconds(5)) {
                try await encore.request(.post, "/api/v2/music", json: ["artist": "A", "songTitle": "later"], headers: headers).status
                    == .accepted
            }
        }
    }

    @Test("a header too large or too many headers: refused before any route runs, and the server goes on answering")
    func headerLimits() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            var big: HTTPFields = [:]
            big[.init("X-Padding")!] = String(repeating: "a", count: 40 * 1024)
            var many: HTTPFields = [:]
            for index in 0..<300 {
                big[.init("X-Flood-\(index)")!] = "x"
                many[.init("X-Flood-\(index)")!] = "x"
            }
            for (name, headers) in [("one 40 KiB header", big), ("300 headers", many)] {
                // On a connection of its own: the server answers 400 and closes it, possibly while
                // the client is still sending, which the client sees as a closed connection.
                let port = try #require(encore.client.port)
                let answer = try? await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                    try await client.execute(TestClient.Request("/api/v2/music", method: .get, headers: headers))
                }
                #expect(answer.map { $0.status == .badRequest } ?? true, "\(name): \(answer?.status.description ?? "connection closed")")
                let after = try await encore.request(.get, "/api/v2/music")
                #expect(after.status == .ok, "after \(name)")
            }
        }
    }

    @Test("jwt mode refuses to start without a secret or with a short one")
    func secretRequired() async throws {
        let common = [
            "gateway", "--auth", "jwt", "--brokers", "127.0.0.1:9", "--store",
            "sqlite:\(FileManager.default.temporaryDirectory.path)/encore-secret-\(UUID()).db",
        ]
        let missing = try await ChildProcess.run(common)
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("needs a secret"), "\(missing.output)")
        let short = try await ChildProcess.run(common + ["--jwt-secret", "short"])
        #expect(short.status != 0)
        #expect(short.standardError.contains("at least 32 bytes"), "\(short.output)")
    }
}
