import Foundation
import KafkaTesting
import StoreTesting
import Testing

@Suite("Role split: write-only and read-only gateways")
struct RoleSplitTests {
    @Test("a write-only gateway appends, refuses reads with 421, and stays ready while projectors are behind")
    func writeRole() async throws {
        // A threshold of -1 counts every read model as too far behind, whatever its lag.
        try await EncoreHarness.with(
            .sqlite,
            gateway: {
                $0.role = .write
                $0.readyLagThreshold = -1
            }
        ) { encore in
            let created = try await encore.request(.post, "/api/v2/music", json: ["artist": "W", "songTitle": "Written"])
            #expect(created.status == .created, "\(created.text)")
            let read = try await encore.request(.get, "/api/v2/music")
            #expect(read.status == .misdirectedRequest)
            #expect(read.json["error"] as? String == "wrong_role")
            try await eventually("the write gateway is ready with lag measured", timeout: .seconds(30)) {
                let ready = try await encore.request(.get, "/ready")
                return ready.status == .ok && (ready.json["checks"] as? [String: String])?["lag.music"] != nil
            }
        }
    }

    @Test("a read-only gateway serves reads, refuses writes with 421, and is unready while projectors are behind")
    func readRole() async throws {
        try await EncoreHarness.with(
            .sqlite,
            gateway: {
                $0.role = .read
                $0.readyLagThreshold = -1
            }
        ) { encore in
            let write = try await encore.request(.post, "/api/v2/music", json: ["artist": "R", "songTitle": "Refused"])
            #expect(write.status == .misdirectedRequest)
            #expect(write.json["error"] as? String == "wrong_role")
            #expect(try await encore.logEnds().values.allSatisfy { $0 == 0 }, "nothing appended")
            #expect(try await encore.request(.get, "/api/v2/music").status == .ok)
            try await eventually("lag is measured and over the threshold", timeout: .seconds(30)) {
                let ready = try await encore.request(.get, "/ready")
                return ready.status == .serviceUnavailable && (ready.json["checks"] as? [String: String])?["lag.music"] != nil
            }
        }
    }
}
