import Domain
import Foundation
import Kafka
import KafkaTesting
import Locking
import Log
import Projection
import Projector
import Store
import StoreTesting
import Testing

@Suite("Projector processes: scale-out and crash recovery give exactly the fold of the log")
struct ProjectorProcessTests {
    @Test("two projector processes build the same read model as the fold of the whole log", arguments: StoreBackend.allCases)
    func twoProcessesEqualTheFold(backend: StoreBackend) async throws {
        try await ProjectorSetup.with(backend) { setup in
            try await setup.write(entities: 300)
            let first = try setup.startProjector()
            let second = try setup.startProjector()
            try await setup.awaitCaughtUp()
            first.kill()
            second.kill()
            try await setup.expectStoreEqualsFoldOfLog()
        }
    }

    @Test("kill -9 a projector mid-stream, restart it: nothing lost, nothing applied twice", arguments: StoreBackend.allCases)
    func killedProjectorResumes(backend: StoreBackend) async throws {
        try await ProjectorSetup.with(backend) { setup in
            // Writes keep arriving in waves while the projector is killed.
            let writing = Task { try await setup.write(entities: 1500, waves: 15) }
            let doomed = try setup.startProjector()
            try await eventually("the projector has made some progress", timeout: .seconds(60)) {
                try await setup.appliedCount() > 100
            }
            doomed.kill()
            let atKill = try await setup.appliedCount()
            try await writing.value
            #expect(atKill < setup.totalRecords, "killed before the end, so recovery is exercised")
            let replacement = try setup.startProjector()
            try await setup.awaitCaughtUp()
            replacement.kill()
            try await setup.expectStoreEqualsFoldOfLog()
        }
    }
}

/// A topic prefix, a SQLite store file and a log of user commands with every kind of outcome.
struct ProjectorSetup: Sendable {
    let broker: TestBroker
    let prefix: String
    let storeURL: String
    let store: any ReadModelStore
    let counter = RecordCounter()

    var totalRecords: Int { counter.total }

    /// A broker, fresh topics and a fresh store of `backend` for `body`.
    static func with(_ backend: StoreBackend, _ body: @escaping @Sendable (ProjectorSetup) async throws -> Void) async throws {
        try await withStoreURL(backend) { url in
            try await TestBroker.with { broker in
                let prefix = "proc\(UUID().uuidString.prefix(6).lowercased())"
                try await EncoreTopics.ensure(
                    log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                    partitions: 6, logger: broker.logger)
                try await StoreDatabase.withStore(url: url, logger: broker.logger) { store in
                    try await body(ProjectorSetup(broker: broker, prefix: prefix, storeURL: url, store: store))
                }
            }
        }
    }

    /// Per entity: create, two updates, an update with a wrong expected version, every third
    /// deleted then re-created (rejected), and one command delivered twice (same id).
    func write(entities: Int, waves: Int = 1) async throws {
        let producer = try broker.producer()
        let topic = EntityKind.user.topic(prefix: prefix)
        for wave in 0..<waves {
            try await writeWave(Array(stride(from: wave, to: entities, by: waves)), producer: producer, topic: topic)
        }
        await producer.close()
    }

    private func writeWave(_ indices: [Int], producer: KafkaProducer, topic: String) async throws {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in indices {
                group.addTask {
                    let id = UUID()
                    let user = User(fname: "F\(index)", lname: "L", email: "u\(index)@example.org")
                    var commands = [
                        Command(entityID: id, action: .createUser(user)),
                        Command(entityID: id, action: .updateUser(User(fname: "G\(index)", lname: "L", email: user.email))),
                        Command(entityID: id, expectedVersion: 9, action: .updateUser(user)),
                        Command(
                            entityID: id, expectedVersion: 2, action: .updateUser(User(fname: "H\(index)", lname: "M", email: user.email))),
                    ]
                    commands.append(commands[1])  // a re-delivered command: must not apply twice
                    if index % 3 == 0 {
                        commands.append(Command(entityID: id, action: .deleteUser))
                        commands.append(Command(entityID: id, action: .createUser(user)))
                    }
                    for command in commands {
                        _ = try await producer.send(
                            ProducerMessage(
                                topic: topic, key: Data(id.uuidString.lowercased().utf8), value: CommandCodec.encodeVersion1(command)))
                    }
                    return commands.count
                }
            }
            for try await count in group { counter.add(count) }
        }
    }

    func startProjector() throws -> ChildProcess {
        try ChildProcess.encore([
            "projector", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--store", storeURL,
            "--session-timeout-ms", "6000", "--log-level", "error", "--metrics-port", "0",
        ])
    }

    /// Records the projection has consumed so far: the sum of its checkpoints.
    func appliedCount() async throws -> Int {
        try await store.checkpoints(of: .user).reduce(0) { $0 + Int($1.offset) }
    }

    func awaitCaughtUp() async throws {
        try await eventually("the users projection reaches the log end", timeout: .seconds(90)) {
            try await appliedCount() >= totalRecords
        }
    }

    /// Reads the whole topic, folds each entity's records, and compares with the store.
    func expectStoreEqualsFoldOfLog() async throws {
        let topic = EntityKind.user.topic(prefix: prefix)
        let consumer = try broker.consumer()
        try consumer.assign((Int32(0)..<6).map { TopicPartitionOffset(topic, $0, .beginning) })
        var records: [KafkaRecord] = []
        try await eventually("the whole log is read") {
            records += try await consumer.poll(maxRecords: 5000)
            return records.count >= totalRecords
        }
        await consumer.close()
        var byEntity: [UUID: [Command]] = [:]
        var commandIDs = Set<UUID>()
        for record in records.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            let command = try CommandCodec.decode(record.value, opening: NoPersonalData())
            // The log carries one command twice per entity; the fold applies it once.
            guard commandIDs.insert(command.id).inserted else { continue }
            byEntity[command.entityID, default: []].append(command)
        }
        let stored = try await store.snapshots(.user, ids: Array(byEntity.keys))
        #expect(stored.count == byEntity.count)
        var mismatches: [UUID] = []
        for (id, commands) in byEntity where stored[id] != Fold.replay(commands) { mismatches.append(id) }
        #expect(mismatches.isEmpty, "entities differing from the fold: \(mismatches.prefix(3))")
        for (id, commands) in byEntity.prefix(20) {
            let history = try await store.history(.user, id: id)
            #expect(history.count == commands.count, "one outcome per distinct command")
        }
    }
}

/// Counts records written by concurrent tasks.
final class RecordCounter: Sendable {
    private let value = Locked<Int>(0)
    func add(_ count: Int) { value.withLock { $0 += count } }
    var total: Int { value.withLock { $0 } }
}
