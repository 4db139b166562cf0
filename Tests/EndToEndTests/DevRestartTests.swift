import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KafkaTesting
import LocalBroker
import Testing

/// `encore dev` as a user runs it: started, written to, stopped or killed, started again on the
/// same data directory. Its broker keeps nothing, so what survives is the log journal's doing.
@Suite("encore dev restarts: the log survives")
struct DevRestartTests {
    @Test("Ctrl-C, then start again: every write is served, a new write is visible, /ready is 200 — three times in a row")
    func gracefulRestarts() async throws {
        let dataDir = DevInstance.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        var written: [String] = []
        for round in 1...3 {
            let dev = try await DevInstance.start(dataDir: dataDir)
            if round > 1 {
                #expect(dev.standardError.contains("restored the log"), "round \(round): \(dev.standardError)")
            }
            for id in written {
                #expect(try await dev.request("GET", "/api/v1/music/\(id)").status == 200, "round \(round): \(id) was lost")
            }
            written.append(try await dev.createSong("round \(round)"))
            try await dev.waitUntilReady()
            #expect(try await dev.songCount() == written.count)
            try await dev.interrupt()
        }
    }

    @Test("the v1 contract holds the moment /health answers: on a fresh data directory, after Ctrl-C and after kill -9")
    func v1ContractFromTheFirstSecond() async throws {
        let dataDir = DevInstance.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let fresh = try await DevInstance.start(dataDir: dataDir)
        try await fresh.http.checkV1Contract("fresh data directory")
        // A restart with a log to restore, and one whose broker died with the process.
        try await fresh.interrupt()
        let restarted = try await DevInstance.start(dataDir: dataDir)
        #expect(restarted.standardError.contains("restored the log"), "\(restarted.standardError)")
        try await restarted.http.checkV1Contract("after Ctrl-C")
        restarted.kill()
        let recovered = try await DevInstance.start(dataDir: dataDir)
        try await recovered.http.checkV1Contract("after kill -9")
        try await recovered.interrupt()
    }

    @Test("kill -9 under a write load, then start again: every acknowledged write is served exactly once, and new writes work")
    func killUnderLoad() async throws {
        let dataDir = DevInstance.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let dev = try await DevInstance.start(dataDir: dataDir)
        let ledger = Ledger()
        // Four writers; the ledger holds only what was answered 2xx (acknowledged).
        let writers = (0..<4).map { writer in
            Task {
                var index = 0
                while !Task.isCancelled {
                    index += 1
                    guard
                        let answer = try? await dev.request(
                            "POST", "/api/v2/music", json: ["artist": "Writer \(writer)", "songTitle": "Song \(index)"],
                            headers: ["Prefer": "respond-async"])
                    else { continue }
                    if (200..<300).contains(answer.status), let id = answer.json?["id"] as? String { ledger.add(id) }
                }
            }
        }
        defer { writers.forEach { $0.cancel() } }
        try await eventually("a few hundred writes are acknowledged", timeout: .seconds(120)) { ledger.count >= 300 }
        dev.kill()
        writers.forEach { $0.cancel() }
        for writer in writers { await writer.value }
        let acknowledged = ledger.ids

        let again = try await DevInstance.start(dataDir: dataDir)
        try await again.waitUntilReady()
        var missing = acknowledged
        try? await eventually("every acknowledged write is served", timeout: .seconds(90)) {
            var still: [String] = []
            for id in missing where try await again.request("GET", "/api/v2/music/\(id)").status != 200 { still.append(id) }
            missing = still
            return missing.isEmpty
        }
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged writes lost: \(missing.prefix(5))")
        for id in acknowledged.prefix(20) {
            let history = try await again.request("GET", "/api/v2/music/\(id)/history")
            #expect((history.json?["items"] as? [[String: Any]])?.count == 1, "\(id) applied once: \(history.text)")
        }
        let new = try await again.createSong("after the crash")
        #expect(try await again.request("GET", "/api/v1/music/\(new)").status == 200)
        try await again.interrupt()
    }

    @Test("a journal whose last segment was cut mid-record starts with a warning and keeps every whole record")
    func tornTail() async throws {
        let dataDir = DevInstance.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let dev = try await DevInstance.start(dataDir: dataDir)
        let kept = try await dev.createSong("kept")
        try await dev.interrupt()
        // A crash during a write leaves part of a record at the end of a segment.
        let segment = try #require(
            DevInstance.segments(in: dataDir).first { ((try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0) > 0 })
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x40, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]))
        try handle.close()

        let again = try await DevInstance.start(dataDir: dataDir)
        #expect(again.standardError.contains("torn tail"), "\(again.standardError)")
        #expect(try await again.request("GET", "/api/v1/music/\(kept)").status == 200)
        let new = try await again.createSong("after the tear")
        #expect(try await again.request("GET", "/api/v1/music/\(new)").status == 200)
        try await again.interrupt()
    }

    @Test("read models beside another instance's journal, or beside no journal, are refused with a sentence naming the fix")
    func foreignJournal() async throws {
        let first = DevInstance.temporaryDataDirectory()
        let second = DevInstance.temporaryDataDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        for dataDir in [first, second] {
            let dev = try await DevInstance.start(dataDir: dataDir)
            _ = try await dev.createSong("in \(dataDir)")
            try await dev.interrupt()
        }
        // The second instance's read models, the first one's log.
        try FileManager.default.removeItem(atPath: "\(second)/log")
        try FileManager.default.copyItem(atPath: "\(first)/log", toPath: "\(second)/log")
        let refused = try await DevInstance.runToExit(dataDir: second)
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("is not the log the read models"), "\(refused.standardError)")
        #expect(refused.standardError.contains("cluster"), "names the cluster ids: \(refused.standardError)")
        #expect(refused.standardError.contains("remove \(second)/encore.db"), "names the fix: \(refused.standardError)")
        #expect(!refused.standardError.contains("Signal") && !refused.standardError.contains("Fatal error"))

        // No journal at all beside read models (an encore dev from before the durable log): refused, no crash.
        try FileManager.default.removeItem(atPath: "\(second)/log")
        let noLog = try await DevInstance.runToExit(dataDir: second)
        #expect(noLog.status == 1, "\(noLog.standardError)")
        #expect(noLog.standardError.contains("is not the log the read models"), "\(noLog.standardError)")
    }

    @Test("the dev JWT secret is made once (mode 0600) and kept, so a token survives a restart; ENCORE_* variables set dev's options")
    func tokensSurviveRestart() async throws {
        let dataDir = DevInstance.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        // ENCORE_AUTH=jwt overrides nothing here: the options come from the environment alone.
        let dev = try await DevInstance.start(dataDir: dataDir, auth: nil, environment: ["ENCORE_AUTH": "jwt"])
        let user = try await dev.request("POST", "/api/v1/user/", json: ["fname": "Nina", "lname": "Simone", "email": "nina@example.org"])
        #expect(user.status == 200, "\(user.text)")
        let id = try #require(user.json?["user_id"] as? String, "\(user.text)")
        let login = try await dev.request("PUT", "/api/v1/user/login", json: ["uid": id])
        #expect(login.status == 200, "the new user logs in at once: \(login.text)")
        let token = login.text  // the original system answers the bare token
        #expect(try await dev.request("GET", "/api/v1/user/\(id)").status == 401, "ENCORE_AUTH=jwt took effect")
        try await dev.interrupt()
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(dataDir)/jwt-secret")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let again = try await DevInstance.start(dataDir: dataDir, auth: nil, environment: ["ENCORE_AUTH": "jwt"])
        let read = try await again.request("GET", "/api/v1/user/\(id)", headers: ["Authorization": "Bearer \(token)"])
        #expect(read.status == 200, "the token from before the restart: \(read.text)")
        try await again.interrupt()
    }
}
