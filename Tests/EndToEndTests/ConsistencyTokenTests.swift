import Foundation
import HTTPTypes
import StoreTesting
import Testing

@Suite("Consistency tokens the log cannot reach are refused at once")
struct ConsistencyTokenTests {
    static let token = HTTPField.Name("X-Consistency-Token")!

    @Test("beyond a partition's end, or for a partition the topic lacks: 422 well inside the wait; a real token reads its write")
    func unreachable() async throws {
        let timeout = Duration.seconds(20)
        try await EncoreHarness.with(.sqlite, gateway: { $0.consistencyTimeout = timeout }) { encore in
            let accepted = try await encore.request(
                .post, "/api/v2/users", json: ["fname": "Sun", "lname": "Ra", "email": "sun@saturn.example"],
                headers: [.init("Prefer")!: "respond-async"])
            let real = try #require(accepted.headers[Self.token])
            let location = try #require(accepted.headers[.location])
            #expect(try await encore.request(.get, location, headers: [Self.token: real]).status == .ok)

            for (bogus, reason) in [
                ("users:0:999999999", "ends at offset"), ("users:77:0", "has 6 partitions"), ("music:5:123456789", "ends at offset"),
            ] {
                for uri in [location, "/api/v2/users", "/api/v1/music/", "\(location)/history"] {
                    let started = ContinuousClock.now
                    let refused = try await encore.request(.get, uri, headers: [Self.token: bogus])
                    let waited = ContinuousClock.now - started
                    #expect(refused.status == .unprocessableContent, "\(bogus) \(uri): \(refused.text)")
                    #expect(refused.json["error"] as? String == "unreachable_consistency_token")
                    #expect((refused.json["detail"] as? String)?.contains(reason) == true, "\(refused.text)")
                    #expect(waited < timeout / 2, "\(bogus) \(uri) was held \(waited)")
                }
            }
            // A conditional write presenting a bogus token is refused too, and appends nothing.
            let ends = try await encore.logEnds()
            let write = try await encore.request(
                .put, location, json: ["fname": "Sun", "lname": "Ra", "email": "ra@saturn.example"],
                headers: [Self.token: "users:0:999999999", .ifMatch: "\"1\""])
            #expect(write.status == .unprocessableContent)
            #expect(try await encore.logEnds() == ends)
        }
    }
}
