import Domain
import Foundation
import KafkaTesting
import Testing

/// `/dashboard` rendered by a real browser: headless Chromium (Debian's `chromium`, installed by
/// `scripts/setup`) loads it from the live gateway, runs its script, and the numbers it shows
/// must be the ones `/lag` serves.
@Suite("Dashboard")
struct DashboardTests {
    @Test("the dashboard loads in headless Chromium and shows /lag's numbers for every group and partition")
    func matchesLag() async throws {
        try await EncoreHarness.with(.sqlite) { harness in
            try await harness.append(SyntheticWorkload(count: 500, seed: 31))
            try await harness.awaitProjected()
            // A settled report: everything folded, every group with its member.
            try await eventually("/lag shows every group caught up", timeout: .seconds(30)) {
                let groups = try await harness.request(.get, "/lag").json["groups"] as? [[String: Any]] ?? []
                return groups.count == 3 && groups.allSatisfy { $0["lag"] as? Int == 0 && $0["members"] as? Int == 1 }
            }
            let port = try #require(harness.client.port)
            let dom = try Self.render("http://127.0.0.1:\(port)/dashboard")
            let lag = try await harness.request(.get, "/lag").json

            #expect(dom.contains("data-loaded=\"true\""), "the page rendered a report")
            let shown = Self.values(in: dom)
            let groups = try #require(lag["groups"] as? [[String: Any]])
            for group in groups {
                let name = try #require(group["group"] as? String)
                for field in ["lag", "members", "status"] {
                    #expect(shown[Key(group: name, partition: nil, field: field)] == Self.text(group[field]), "\(name) \(field)")
                }
                for partition in try #require(group["partitions"] as? [[String: Any]]) {
                    let number = try #require(partition["partition"] as? Int)
                    for field in ["checkpoint", "logEnd", "lag", "status"] {
                        #expect(
                            shown[Key(group: name, partition: number, field: field)] == Self.text(partition[field]),
                            "\(name)[\(number)] \(field)")
                    }
                }
            }
            #expect(dom.contains("<svg"), "charts are drawn")
        }
    }

    struct Key: Hashable {
        var group: String
        var partition: Int?
        var field: String
    }

    /// Runs Chromium headless on `url` and returns the DOM after its scripts ran.
    static func render(_ url: String) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("encore-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // --no-sandbox: tests run as root in CI. Virtual time lets the page's fetch and timers run.
        process.arguments = [
            "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
            "--virtual-time-budget=5000", "--dump-dom", url,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: try output.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DashboardError("chromium exited with \(process.terminationStatus); run scripts/setup to install Debian's chromium")
        }
        return dom
    }

    /// Every element's `data-value` by group, partition and field.
    static func values(in dom: String) -> [Key: String] {
        var values: [Key: String] = [:]
        for tag in dom.matches(of: /<[a-z0-9]+ ([^>]*data-field[^>]*)>/) {
            var attributes: [String: String] = [:]
            for attribute in tag.output.1.matches(of: /([a-z-]+)="([^"]*)"/) {
                attributes[String(attribute.output.1)] = String(attribute.output.2)
            }
            guard let group = attributes["data-group"], let field = attributes["data-field"], let value = attributes["data-value"] else {
                continue
            }
            values[Key(group: group, partition: attributes["data-partition"].flatMap { Int($0) }, field: field)] = value
        }
        return values
    }

    /// A JSON value as the page writes it into `data-value`.
    static func text(_ value: Any?) -> String {
        switch value {
        case let number as Int: String(number)
        case let text as String: text
        case nil: "null"
        default: "\(value!)"
        }
    }

    struct DashboardError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
