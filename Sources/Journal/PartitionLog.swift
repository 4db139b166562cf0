import Foundation
import Kafka
import Logging
import MetadataKeys

#if canImport(Glibc)
    import Glibc
#endif

/// One partition's journal: append-only segment files `<base offset>.seg` in one directory,
/// each a run of ``RecordFrame``s, a new one begun past ``segmentLimit`` bytes.
///
/// Only the last segment can have been cut by a crash: on open, a torn tail there is
/// truncated to the last whole record (with a warning). Damage anywhere else is refused.
final class PartitionLog {
    let partition: TopicPartition
    let directory: URL
    /// The offset the next record must have (one past the last one kept).
    private(set) var end: Int64
    /// Offset of the first record kept; nil while empty.
    private(set) var start: Int64?
    private var segments: [Int64]
    private var descriptor: Int32 = -1
    private var segmentSize = 0
    private var directoryDirty = false
    private var pending: [UInt8] = []
    private let logger: Logger
    static let segmentLimit = 64 << 20

    init(partition: TopicPartition, directory: URL, logger: Logger) throws(JournalError) {
        self.partition = partition
        self.directory = directory
        self.logger = logger
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(directory.path)", error)
        }
        segments = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .compactMap { $0.hasSuffix(".seg") ? Int64($0.dropLast(4)) : nil }.sorted()
        start = segments.first
        end = segments.last ?? 0
        if let last = segments.last { try recoverTail(of: last) }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    private func path(_ base: Int64) -> String {
        directory.appendingPathComponent(String(format: "%020lld.seg", base)).path
    }

    /// Finds the last segment's end, truncating a torn tail.
    private func recoverTail(of base: Int64) throws(JournalError) {
        let file = path(base)
        let bytes = try Self.contents(of: file)
        var position = 0
        var next = base
        // Why the bytes from `position` on are not whole records, and whether more follow them.
        var torn: (why: String, recordsAfter: Bool)?
        bytes.withUnsafeBytes { raw in
            while position < raw.count {
                switch RecordFrame.read(raw, at: position) {
                case .record(let record, let after):
                    next = record.offset + 1
                    position = after
                case .truncated:
                    torn = ("cut inside a record", false)
                    return
                case .damaged(let why):
                    // A damaged frame that ends the file is a torn write (pages written out of
                    // order); one with whole records after it is damage in the middle.
                    let length = RecordFrame.frameLength(raw, at: position)
                    torn = (why, length.map { position + $0 < raw.count } ?? false)
                    return
                }
            }
        }
        if let (why, recordsAfter) = torn {
            guard !recordsAfter else {
                throw .corrupt("\(file): damaged record at byte \(position) (\(why)) with records after it")
            }
            logger.warning(
                "journal: torn tail truncated, keeping every whole record before it",
                metadata: [
                    MetadataKey.partition: "\(partition)", MetadataKey.path: "\(file)", MetadataKey.reason: "\(why)",
                    MetadataKey.position: "\(position)", MetadataKey.offset: "\(next - 1)",
                ])
            guard truncate(file, off_t(position)) == 0 else { throw .io("cannot truncate \(file)", POSIXError.current) }
            try Self.syncFile(file)
        }
        end = next
        segmentSize = position
    }

    /// Queues records (offsets must not go back); they are written by ``flush()``.
    func append(_ records: some Collection<JournalRecord>) throws(JournalError) {
        for record in records {
            guard record.offset >= end else {
                throw .misuse("\(partition): record at offset \(record.offset) is before the journal's end \(end)")
            }
            if descriptor < 0 {
                try openSegment(startingAt: record.offset)
            } else if segmentSize + pending.count > Self.segmentLimit {
                try writePending()
                guard fsync(descriptor) == 0 else { throw .io("cannot fsync \(directory.path)", POSIXError.current) }
                close(descriptor)
                descriptor = -1
                segmentSize = Self.segmentLimit  // full: the next one begins at this record
                try openSegment(startingAt: record.offset)
            }
            RecordFrame.append(record, to: &pending)
            if start == nil { start = record.offset }
            end = record.offset + 1
        }
    }

    /// Writes queued records and fsyncs them (and the directory, when a segment was begun).
    func flush() throws(JournalError) {
        try writePending()
        guard descriptor >= 0 else { return }
        guard fsync(descriptor) == 0 else { throw .io("cannot fsync \(directory.path)", POSIXError.current) }
        if directoryDirty {
            try Self.syncFile(directory.path)
            directoryDirty = false
        }
    }

    private func writePending() throws(JournalError) {
        guard !pending.isEmpty else { return }
        let written = pending.withUnsafeBytes { bytes -> Int in
            var done = 0
            while done < bytes.count {
                let n = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
                done += n
            }
            return done
        }
        guard written == pending.count else { throw .io("cannot write to the journal in \(directory.path)", POSIXError.current) }
        segmentSize += pending.count
        pending.removeAll(keepingCapacity: true)
    }

    /// Opens the last segment for appending, or begins one at `offset` when there is none or it is full.
    private func openSegment(startingAt offset: Int64) throws(JournalError) {
        if segments.isEmpty || segmentSize >= Self.segmentLimit {
            segments.append(offset)
            segmentSize = 0
            directoryDirty = true
        }
        let file = path(segments.last!)
        descriptor = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io("cannot open \(file)", POSIXError.current) }
    }

    /// Calls `body` with the records from `offset` on, in order, a chunk at a time.
    func read(from offset: Int64 = 0, chunk: Int = 5_000, _ body: ([JournalRecord]) async throws -> Void) async throws {
        var previous: Int64?
        var batch: [JournalRecord] = []
        batch.reserveCapacity(chunk)
        for (index, base) in segments.enumerated() {
            if index + 1 < segments.count, segments[index + 1] <= offset { continue }
            let file = path(base)
            let bytes = try Self.contents(of: file)
            var position = 0
            while position < bytes.count {
                guard case .record(let record, let after) = bytes.withUnsafeBytes({ RecordFrame.read($0, at: position) }) else {
                    // Torn tails were truncated on open: this is damage since, or in an older segment.
                    throw JournalError.corrupt("\(file): damaged record at byte \(position)")
                }
                position = after
                if let previous, record.offset <= previous {
                    throw JournalError.corrupt("\(file): offset \(record.offset) after \(previous) (offsets must increase)")
                }
                previous = record.offset
                guard record.offset >= offset else { continue }
                batch.append(record)
                if batch.count == chunk {
                    try await body(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        if !batch.isEmpty { try await body(batch) }
    }

    private static func contents(of file: String) throws(JournalError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: file), options: .uncached)
        } catch {
            throw .io("cannot read \(file)", error)
        }
    }

    static func syncFile(_ file: String) throws(JournalError) {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open \(file)", POSIXError.current) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io("cannot fsync \(file)", POSIXError.current) }
    }
}

extension RecordFrame {
    /// The whole frame's length at `position`, if its header is there.
    static func frameLength(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Int? {
        guard bytes.count - position >= headerSize else { return nil }
        return headerSize + Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
    }
}

extension POSIXError {
    /// The error `errno` names now.
    static var current: POSIXError { POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}
