import Foundation
import Kafka
import Logging
import Testing

@testable import Journal

/// The journal's files on their own: framing, reopening, torn tails, damage, the lock.
@Suite("Log journal files")
struct JournalFileTests {
    static let partition = TopicPartition("encore.music", 0)

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("encore-journal-\(UUID().uuidString)")
    }

    static func records(_ offsets: Range<Int64>) -> [JournalRecord] {
        offsets.map { offset in
            JournalRecord(
                offset: offset,
                timestamp: offset.isMultiple(of: 3) ? nil : 1_764_000_000_000 + offset,
                key: offset.isMultiple(of: 2) ? Data("key-\(offset)".utf8) : nil,
                value: offset == 1 ? Data() : Data(String(repeating: "v\(offset)", count: Int(offset % 5) + 1).utf8),
                headers: offset.isMultiple(of: 2) ? [KafkaHeader("schema-id", "music.created.v1"), KafkaHeader("empty", nil)] : []
            )
        }
    }

    /// Opens a journal whose manifest lists one partition and appends `records` to it.
    static func journal(in directory: URL, appending records: [JournalRecord] = [], logger: Logger = Logger(label: "test")) throws
        -> Journal
    {
        let journal = try Journal(directory: directory, logger: logger)
        if journal.manifest == nil { try journal.save(JournalManifest(clusterID: "test-cluster", topics: [partition.topic: 1])) }
        if !records.isEmpty { try journal.append([partition: records]) }
        return journal
    }

    static func readAll(_ journal: Journal) async throws -> [JournalRecord] {
        var all: [JournalRecord] = []
        try await journal.read(partition, chunk: 3) { all += $0 }
        return all
    }

    static func segment(_ directory: URL) -> URL { directory.appendingPathComponent("encore.music/0/00000000000000000000.seg") }

    @Test("a record frame decodes to the same record: no key, empty value, no timestamp, headers without values")
    func frameRoundTrip() throws {
        for record in Self.records(0..<12) {
            let frame = RecordFrame.encode(record)
            let read = frame.withUnsafeBytes { RecordFrame.read($0, at: 0) }
            guard case .record(let decoded, let next) = read else {
                Issue.record("frame of offset \(record.offset) did not decode: \(read)")
                continue
            }
            #expect(decoded == record)
            #expect(next == frame.count)
        }
    }

    @Test("records appended survive closing and reopening, in order, with the manifest")
    func reopen() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let journal = try Self.journal(in: directory, appending: Self.records(0..<5))
            try journal.append([Self.partition: Self.records(5..<10)])
        }
        let reopened = try Self.journal(in: directory)
        #expect(reopened.manifest == JournalManifest(clusterID: "test-cluster", topics: [Self.partition.topic: 1]))
        #expect(reopened.ends[Self.partition] == 10)
        #expect(reopened.recordCount == 10)
        #expect(try await Self.readAll(reopened) == Self.records(0..<10))
        var fromSeven: [JournalRecord] = []
        try await reopened.read(Self.partition, from: 7) { fromSeven += $0 }
        #expect(fromSeven == Self.records(7..<10))
    }

    @Test("a segment cut inside its last record is truncated to the last whole record, and appending continues there")
    func tornTail() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Self.journal(in: directory, appending: Self.records(0..<4))
        let file = Self.segment(directory)
        let whole = try Data(contentsOf: file)
        let lastFrame = RecordFrame.encode(Self.records(3..<4)[0]).count
        try whole.prefix(whole.count - 3).write(to: file)  // a crash in the middle of the last write

        let warnings = WarningCollector()
        let reopened = try Self.journal(in: directory, logger: Logger(label: "test") { _ in warnings })
        #expect(reopened.ends[Self.partition] == 3)
        #expect(try Data(contentsOf: file).count == whole.count - lastFrame)
        #expect(warnings.messages.contains { $0.contains("torn tail") }, "\(warnings.messages)")
        try reopened.append([Self.partition: Self.records(3..<6)])
        #expect(try await Self.readAll(reopened) == Self.records(0..<6))
    }

    @Test("a whole last record with a wrong checksum is a torn write: truncated with a warning")
    func damagedLastRecord() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Self.journal(in: directory, appending: Self.records(0..<3))
        let file = Self.segment(directory)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: file)
        let reopened = try Self.journal(in: directory)
        #expect(reopened.ends[Self.partition] == 2)
        #expect(try await Self.readAll(reopened) == Self.records(0..<2))
    }

    @Test("damage with whole records after it is refused, naming the file: never a silently shorter log")
    func damageInTheMiddle() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Self.journal(in: directory, appending: Self.records(0..<5))
        let file = Self.segment(directory)
        var bytes = try Data(contentsOf: file)
        bytes[RecordFrame.headerSize + 2] ^= 0xFF  // inside the first record's body
        try bytes.write(to: file)
        let sizeBefore = bytes.count
        #expect {
            _ = try Self.journal(in: directory)
        } throws: { error in
            guard case JournalError.corrupt(let what) = error else { return false }
            return what.contains(file.lastPathComponent) && what.contains("records after it")
        }
        #expect(try Data(contentsOf: file).count == sizeBefore, "nothing was truncated")
    }

    @Test("a second process cannot open the same journal; offsets cannot go back")
    func lockAndOrder() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try Self.journal(in: directory, appending: Self.records(0..<3))
        #expect {
            _ = try Journal(directory: directory, logger: Logger(label: "test"))
        } throws: { error in
            guard case JournalError.locked(let what) = error else { return false }
            return what.contains("in use by another process")
        }
        #expect(throws: JournalError.self) { try journal.append([Self.partition: Self.records(1..<2)]) }
        #expect(journal.ends[Self.partition] == 3)
    }

    @Test("the partition checksum depends on every field and on order")
    func checksum() {
        let records = Self.records(0..<4)
        var forward = PartitionChecksum()
        records.forEach { forward.add($0) }
        var again = PartitionChecksum()
        records.forEach { again.add($0) }
        #expect(forward == again)
        var reversed = PartitionChecksum()
        records.reversed().forEach { reversed.add($0) }
        #expect(forward != reversed)
        var changed = PartitionChecksum()
        var edited = records
        edited[2].headers.append(KafkaHeader("x", "y"))
        edited.forEach { changed.add($0) }
        #expect(forward != changed)
        #expect(forward.records == 4)
    }
}

/// Collects the messages of warnings logged through it.
final class WarningCollector: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    var messages: [String] { lock.withLock { collected } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { collected.append(event.message.description) }
    }
}
