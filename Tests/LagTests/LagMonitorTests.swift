import Domain
import Foundation
import Kafka
import KafkaTesting
import Lag
import Log
import Projection
import Projector
import Store
import StoreTesting
import Testing

/// A sample, taken again while the store does not answer in time, as the monitor's own loop
/// does (it logs the failed sample and takes the next): a loaded CI run once took over 2 s for
/// one PostgreSQL catalog read.
private func sample(_ monitor: LagMonitor) async throws -> LagReport {
    let deadline = ContinuousClock.now + .seconds(30)
    while true {
        do {
            return try await monitor.sample()
        } catch let error as StoreError where error.code.isRetriable && ContinuousClock.now < deadline {
            continue
        }
    }
}

/// The lag monitor against a real broker and store: a projector stopped while writes continue.
@Suite("Lag monitor")
struct LagMonitorTests {
    @Test(
        "a stopped projector's lag is exactly the unprocessed records, its age is the oldest one's, and it reads STOPPED until it is back",
        arguments: StoreBackend.allCases)
    func stoppedProjector(backend: StoreBackend) async throws {
        try await withTestDataKeys { keys in
            try await TestBroker.with { broker in
                try await withStoreURL(backend) { url in
                    let logger = broker.logger
                    let prefix = "lag\(UUID().uuidString.prefix(6).lowercased())"
                    try await EncoreTopics.ensure(
                        log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                        partitions: 3, logger: logger)
                    try await StoreDatabase.with(url: url, logger: logger) { database in
                        let store = try await database.open()
                        let namespaces = ActiveNamespaces(base: store, logger: logger)
                        let monitor = try LagMonitor(
                            log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                            namespaces: namespaces,
                            settings: .init(interval: .milliseconds(200), window: .seconds(5), stallAfter: .seconds(1)), logger: logger
                        )
                        let producer = try broker.producer()
                        let appender = CommandAppender(producer: producer, topicPrefix: prefix) { try await keys.keyring(writing: $0) }
                        let configuration = ProjectorConfiguration(
                            log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                            sessionTimeout: TestBroker.sessionTimeout)

                        var projecting = Task {
                            try await Projector(configuration: configuration, store: store, keys: keys, logger: logger).run()
                        }
                        let first = Array(SyntheticWorkload(count: 300, seed: 1))
                        try await appender.append(first)
                        try await eventually("the projector has folded everything and the group is OK", timeout: .seconds(60)) {
                            let report = try await sample(monitor)
                            return report.groups.allSatisfy { $0.status == .ok && $0.lag == 0 && $0.members == 1 }
                                && report.groups.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + $1.checkpoint } } == 300
                        }

                        projecting.cancel()
                        _ = await projecting.result
                        // Writes continue while no projector runs.
                        let beforeFirstWrite = Date()
                        let second = Array(SyntheticWorkload(count: 500, seed: 2))
                        try await appender.append(second.prefix(250))
                        let afterFirstWrite = Date()
                        try await appender.append(second.dropFirst(250))
                        let expected = Dictionary(grouping: second, by: \.kind).mapValues { Int64($0.count) }

                        try await eventually("every group reads STOPPED", timeout: .seconds(30)) {
                            try await sample(monitor).groups.allSatisfy { $0.status == .stopped && $0.members == 0 }
                        }
                        let sampledAt = Date()
                        let report = try await sample(monitor)
                        for group in report.groups {
                            let kind = try #require(EntityKind.allCases.first { $0.topicSuffix == group.projection })
                            #expect(
                                group.lag == expected[kind, default: 0],
                                "\(group.group) \(group.partitions.map { "\($0.partition):\($0.checkpoint)/\($0.logEnd)" })")
                            #expect(group.partitions.allSatisfy { $0.lag == $0.logEnd - $0.checkpoint })
                            // The oldest unprocessed record was written between these two instants.
                            let age = try #require(group.lagSeconds)
                            let youngest = sampledAt.timeIntervalSince(afterFirstWrite)
                            let oldest = Date().timeIntervalSince(beforeFirstWrite)
                            #expect(age >= youngest - 1 && age <= oldest + 1, "\(group.group): \(age) s, truth in [\(youngest), \(oldest)]")
                        }

                        projecting = Task {
                            try await Projector(configuration: configuration, store: store, keys: keys, logger: logger).run()
                        }
                        try await eventually("back to OK with no lag", timeout: .seconds(60)) {
                            try await sample(monitor).groups.allSatisfy { $0.status == .ok && $0.lag == 0 && $0.lagSeconds == 0 }
                        }
                        projecting.cancel()
                        _ = await projecting.result
                        await monitor.close()
                        await producer.close()
                        await namespaces.close()
                        await store.close()
                    }
                }
            }
        }
    }

    @Test("a projector that is alive but not folding reads STALLED once its checkpoint stood still for the stall period")
    func stalled() async throws {
        try await withTestDataKeys { keys in
            try await TestBroker.with { broker in
                try await withStoreURL(.sqlite) { url in
                    let logger = broker.logger
                    let prefix = "stall\(UUID().uuidString.prefix(6).lowercased())"
                    try await EncoreTopics.ensure(
                        log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]),
                        partitions: 1, logger: logger)
                    let store = try await StoreDatabase(url: url, logger: logger).open()
                    let namespaces = ActiveNamespaces(base: store, logger: logger)
                    let monitor = try LagMonitor(
                        log: LogLocation(brokers: broker.bootstrapServers, topicPrefix: prefix, kafkaProperties: [:]), kinds: [.music],
                        namespaces: namespaces,
                        settings: .init(interval: .milliseconds(200), window: .seconds(5), stallAfter: .seconds(1)), logger: logger
                    )
                    // A group member that never folds: it holds the partition, the checkpoint stays.
                    let member = try broker.consumer(group: "\(prefix).projector.music")
                    try member.subscribe(topics: ["\(prefix).music"])
                    try await eventually("the member joins", timeout: .seconds(30)) {
                        _ = try await member.poll(maxRecords: 1, timeout: .milliseconds(50))
                        return try await sample(monitor).groups.first?.members == 1
                    }
                    let producer = try broker.producer()
                    try await CommandAppender(producer: producer, topicPrefix: prefix) { try await keys.keyring(writing: $0) }.append(
                        SyntheticWorkload(count: 1))
                    try await eventually("the group reads STALLED", timeout: .seconds(30)) {
                        let group = try #require(try await sample(monitor).groups.first)
                        return group.status == .stalled && group.lag == 1
                    }
                    await member.close()
                    await producer.close()
                    await monitor.close()
                    await namespaces.close()
                    await store.close()
                }
            }
        }
    }
}
