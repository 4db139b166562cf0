import Domain
import Foundation
import KafkaTesting
import Testing

/// One command of every record type, with and without the optional envelope fields.
private func commandsOfEveryType() -> [Command] {
    let actions =
        Sample.actions + [
            .createPlaylist(Playlist(name: "empty", songs: [])),
            .createUser(User(fname: "Zoë \"Z\"", lname: "Ünal/Ø", email: "zoe+tag@example.org")),
        ]
    return actions.enumerated().flatMap { n, action in
        [
            Sample.command(action, entity: id(n), n: n),
            Command(
                id: UUID(), entityID: UUID(), timestamp: utc(2026, 3, 1, 12, 30, 15, ms: n),
                actor: "user-\(n)", expectedVersion: n, action: action),
        ]
    }
}

/// Each command in version 1 and in its type's current version.
private func lines(_ commands: [Command]) -> Data {
    Data(
        commands.flatMap { [CommandCodec.encodeVersion1($0), try! CommandCodec.encode($0, sealing: ReversingCipher())] }
            .map { $0 + Data("\n".utf8) }.joined())
}

private func jsonObject(_ command: Command) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: CommandCodec.encodeVersion1(command)) as? [String: Any])
}

@Suite("Schema conformance")
struct SchemaConformanceTests {
    @Test("every record type has a schema file, and every record the codec writes conforms to it")
    func everyTypeConforms() async throws {
        let commands = commandsOfEveryType()
        #expect(Set(commands.map(\.action.recordType)) == Set(RecordType.allCases), "a record type has no sample")

        let root = try RecordSchemaValidator.packageRoot()
        for type in RecordType.allCases {
            for version in 1...type.currentVersion {
                let file = root.appendingPathComponent("schemas/\(type.rawValue).v\(version).json")
                #expect(FileManager.default.fileExists(atPath: file.path), "missing \(file.lastPathComponent)")
            }
        }

        let result = try await RecordSchemaValidator.validate(lines: lines(commands))
        #expect(result.status == 0, "\(result.output)")
        let summary = result.output.split(separator: "\n").last.map(String.init)
        #expect(summary == "\(2 * commands.count) records valid, 0 invalid", "\(result.output)")
    }

    @Test("records that break the envelope are rejected, each with its reason")
    func brokenRecordsFail() async throws {
        let good = Sample.command(.addSong(id(3)), expectedVersion: 1, actor: "ada")
        var extraPayloadField = try jsonObject(good)
        extraPayloadField["payload"] = ["music_id": id(3).uuidString, "position": 2]
        var missingEntity = try jsonObject(good)
        missingEntity["entityId"] = nil
        var nullActor = try jsonObject(good)
        nullActor["actor"] = NSNull()
        var extraEnvelopeField = try jsonObject(Sample.command(.deleteUser))
        extraEnvelopeField["note"] = "hi"
        var badTimestamp = try jsonObject(good)
        badTimestamp["timestamp"] = "2026-02-30T07:00:00.000Z"
        var badUUID = try jsonObject(good)
        badUUID["commandId"] = "0000-not-a-uuid"
        var negativeVersion = try jsonObject(good)
        negativeVersion["expectedVersion"] = -1
        var futureVersion = try jsonObject(good)
        futureVersion["schemaVersion"] = 9

        let broken = [
            extraPayloadField, missingEntity, nullActor, extraEnvelopeField, badTimestamp, badUUID, negativeVersion, futureVersion,
        ]
        var input = CommandCodec.encodeVersion1(good) + Data("\n".utf8)
        for record in broken {
            input += try JSONSerialization.data(withJSONObject: record) + Data("\n".utf8)
        }
        input += Data("not json\n".utf8)

        let result = try await RecordSchemaValidator.validate(lines: input)
        #expect(result.status != 0)
        let output = result.output.split(separator: "\n").map(String.init)
        #expect(output.last == "1 records valid, \(broken.count + 1) invalid", "\(result.output)")
        // One line per invalid record, naming the line and the reason.
        let reasons = output.dropLast()
        #expect(reasons.count == broken.count + 1, "\(result.output)")
        let expectations = [
            "'position' was unexpected", "'entityId' is a required property", "None is not of type 'string'",
            "'note' was unexpected", "is not a 'date-time'", "is not a 'uuid'", "less than the minimum of 0",
            "unknown schema version 9", "not JSON",
        ]
        for (line, (reason, expected)) in zip(2..., zip(reasons, expectations)) {
            #expect(reason.hasPrefix("<stdin>:\(line): "), "\(reason)")
            #expect(reason.contains(expected), "\(reason)")
        }
    }

    @Test("no records is a failure, not a pass")
    func emptyInputFails() async throws {
        let result = try await RecordSchemaValidator.validate(lines: Data())
        #expect(result.status != 0)
        #expect(result.output.split(separator: "\n").last == "0 records valid, 0 invalid")
    }
}
