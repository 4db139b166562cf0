import Foundation
import Kafka
import Locking
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A copy of Kafka topics on local disk: `journal.json` (``JournalManifest``) and, per topic
/// and partition, append-only segment files `<topic>/<partition>/<base offset>.seg`.
///
/// The same format serves `encore dev`'s durable log (``LogKeeper``) and `encore log backup`.
/// One process at a time: opening takes an exclusive lock on the directory.
public final class Journal: @unchecked Sendable {
    public let directory: URL
    private let logger: Logger
    private let lock: Int32
    // Guards everything below; callers are the keeper's loop and the restore, one at a time.
    private let state = Locked<Void>(())
    private nonisolated(unsafe) var manifestValue: JournalManifest?
    private nonisolated(unsafe) var partitions: [TopicPartition: PartitionLog] = [:]

    /// Opens (creating) the journal in `directory`; its torn tails are truncated here.
    public init(directory: URL, logger: Logger) throws(JournalError) {
        self.directory = directory
        self.logger = logger
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create the journal directory \(directory.path)", error)
        }
        let lockPath = directory.appendingPathComponent(".lock").path
        lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw .io("cannot open \(lockPath)", POSIXError.current) }
        guard Self.takeLock(lock) else {
            close(lock)
            throw .locked(
                "the log journal in \(directory.path) is in use by another process (is another encore dev running on this data directory?)")
        }
        manifestValue = try Self.readManifest(directory)
        for (topic, count) in manifestValue?.topics ?? [:] {
            for partition in 0..<count { _ = try log(TopicPartition(topic, partition)) }
        }
    }

    deinit { close(lock) }

    /// Takes the exclusive lock, waiting up to a second for it. A child that any thread of this
    /// process is spawning holds a copy of the lock's open file description until its exec
    /// closes it (O_CLOEXEC), so a journal this process has just let go can look taken for a moment.
    private static func takeLock(_ descriptor: Int32) -> Bool {
        let deadline = ContinuousClock.now + .seconds(1)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK, ContinuousClock.now < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    private var manifestURL: URL { directory.appendingPathComponent("journal.json") }

    /// The manifest, or nil for a journal that holds nothing yet.
    public var manifest: JournalManifest? { state.withLock { _ in manifestValue } }

    /// Writes the manifest atomically (temporary file, fsync, rename, fsync of the directory).
    public func save(_ manifest: JournalManifest) throws(JournalError) {
        let temporary = directory.appendingPathComponent("journal.json.tmp")
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: temporary)
        } catch {
            throw .io("cannot write \(temporary.path)", error)
        }
        try PartitionLog.syncFile(temporary.path)
        guard rename(temporary.path, manifestURL.path) == 0 else { throw .io("cannot replace \(manifestURL.path)", POSIXError.current) }
        try PartitionLog.syncFile(directory.path)
        try state.withLock { _ throws(JournalError) in
            manifestValue = manifest
            for (topic, count) in manifest.topics {
                for partition in 0..<count { _ = try log(TopicPartition(topic, partition)) }
            }
        }
    }

    private static func readManifest(_ directory: URL) throws(JournalError) -> JournalManifest? {
        let url = directory.appendingPathComponent("journal.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let manifest: JournalManifest
        do {
            manifest = try JSONDecoder().decode(JournalManifest.self, from: Data(contentsOf: url))
        } catch {
            throw .corrupt("\(url.path) is unreadable (\(error))")
        }
        guard manifest.format == JournalManifest.currentFormat else {
            throw .corrupt("\(url.path) has format \(manifest.format); this encore reads format \(JournalManifest.currentFormat)")
        }
        return manifest
    }

    private func log(_ partition: TopicPartition) throws(JournalError) -> PartitionLog {
        if let log = partitions[partition] { return log }
        let log = try PartitionLog(
            partition: partition,
            directory: directory.appendingPathComponent(partition.topic).appendingPathComponent(String(partition.partition)),
            logger: logger
        )
        partitions[partition] = log
        return log
    }

    /// Every partition the manifest lists, sorted.
    public var topicPartitions: [TopicPartition] { state.withLock { _ in partitions.keys.sorted() } }

    /// One past the last offset kept per partition.
    public var ends: [TopicPartition: Int64] { state.withLock { _ in partitions.mapValues(\.end) } }

    /// The first offset kept per partition (the end where it keeps none).
    public var starts: [TopicPartition: Int64] { state.withLock { _ in partitions.mapValues { $0.start ?? $0.end } } }

    /// Records kept in all.
    public var recordCount: Int64 { state.withLock { _ in partitions.values.reduce(0) { $0 + ($1.end - ($1.start ?? $1.end)) } } }

    /// Appends records of partitions the manifest lists, and fsyncs them before returning.
    public func append(_ records: [TopicPartition: [JournalRecord]]) throws(JournalError) {
        try state.withLock { _ throws(JournalError) in
            for (partition, batch) in records {
                guard partitions[partition] != nil else {
                    throw .misuse("\(partition) is not in the journal's manifest")
                }
                try partitions[partition]!.append(batch)
            }
            for partition in records.keys { try partitions[partition]!.flush() }
        }
    }

    /// Calls `body` with one partition's records from `offset` on, in order, a chunk at a time.
    public func read(
        _ partition: TopicPartition, from offset: Int64 = 0, chunk: Int = 5_000,
        _ body: ([JournalRecord]) async throws -> Void
    ) async throws {
        guard let log = state.withLock({ _ in partitions[partition] }) else { return }
        try await log.read(from: offset, chunk: chunk, body)
    }
}
