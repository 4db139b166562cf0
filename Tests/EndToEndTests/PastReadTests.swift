import Foundation
import HTTPTypes
import StoreTesting
import Testing

@Suite("Reads as of a past moment: ?asOf= and ?version=, and encore history --as-of")
struct PastReadTests {
    /// One write's answer and the moment just after it.
    struct Recorded {
        let body: [String: Any]
        let version: Int
        let after: String
    }

    static let millisecondTime = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The time now, once the clock has moved past the millisecond it is in: commands are
    /// stamped to the millisecond, so the next write cannot share the moment recorded here.
    static func momentAfterWrite() async -> String {
        let now = Date()
        while Date().timeIntervalSince(now) < 0.002 { await Task.yield() }
        return now.formatted(millisecondTime)
    }

    @Test("every past version and moment reads as the write answered it then; 404s say why")
    func pastStates() async throws {
        try await EncoreHarness.with(.sqlite) { encore in
            let before = await Self.momentAfterWrite()
            var recorded: [Recorded] = []
            let created = try await encore.request(.post, "/api/v2/music", json: ["artist": "Can", "songTitle": "Vitamin C"])
            #expect(created.status == .created)
            recorded.append(Recorded(body: created.json, version: 1, after: await Self.momentAfterWrite()))
            let location = try #require(created.headers[.location])
            for (version, title) in [(2, "Mother Sky"), (3, "Halleluhwah")] {
                let updated = try await encore.request(.put, location, json: ["artist": "Can", "songTitle": title])
                #expect(updated.status == .ok)
                recorded.append(Recorded(body: updated.json, version: version, after: await Self.momentAfterWrite()))
            }
            #expect(try await encore.request(.delete, location).status == .noContent)
            let afterDelete = await Self.momentAfterWrite()

            for state in recorded {
                for query in ["version=\(state.version)", "asOf=\(state.after)"] {
                    let past = try await encore.request(.get, "\(location)?\(query)")
                    #expect(past.status == .ok, "\(query): \(past.text)")
                    #expect(NSDictionary(dictionary: past.json) == NSDictionary(dictionary: state.body), "\(query): \(past.text)")
                    #expect(past.headers[.eTag] == "\"\(state.version)\"")
                }
            }
            let notYet = try await encore.request(.get, "\(location)?asOf=\(before)")
            #expect(notYet.status == .notFound)
            #expect((notYet.json["detail"] as? String)?.contains("did not exist yet") == true, "\(notYet.text)")
            for query in ["asOf=\(afterDelete)", "version=4", "version=9"] {
                let gone = try await encore.request(.get, "\(location)?\(query)")
                #expect(gone.status == .notFound)
                #expect((gone.json["detail"] as? String)?.contains("had been deleted by then") == true, "\(query): \(gone.text)")
            }
            for query in ["asOf=yesterday", "asOf=2026-11-29", "version=0", "version=x", "version=1&asOf=\(before)"] {
                let bad = try await encore.request(.get, "\(location)?\(query)")
                #expect(bad.status == .badRequest, "\(query)")
                #expect(bad.headers[.contentType] == "application/problem+json")
            }

            // The CLI folds the same commands from the log itself.
            let id = String(location.split(separator: "/").last!)
            for state in recorded {
                let printed = try await ChildProcess.run([
                    "history", "music", id, "--as-of", state.after, "--brokers", encore.broker.bootstrapServers, "--topic-prefix",
                    encore.prefix,
                ])
                #expect(printed.status == 0, "\(printed.output)")
                let json = try JSONSerialization.jsonObject(with: Data(printed.standardOutput.utf8)) as? [String: Any]
                #expect(NSDictionary(dictionary: json ?? [:]) == NSDictionary(dictionary: state.body), "\(printed.output)")
            }
            let deleted = try await ChildProcess.run([
                "history", "music", id, "--at-version", "4", "--brokers", encore.broker.bootstrapServers, "--topic-prefix", encore.prefix,
            ])
            #expect(deleted.status == 1)
            #expect(deleted.output.contains("had been deleted by then"), "\(deleted.output)")
        }
    }
}
