import Domain
import Foundation
import Store
import StoreTesting
import Testing

@Suite("Checkpoint fencing")
struct CheckpointFencingTests {
    static func position(_ offset: Int64, partition: Int32 = 0) -> LogPosition {
        LogPosition(topic: "encore.users", partition: partition, offset: offset)
    }

    @Test(
        "a batch starting behind the stored checkpoint is refused and writes nothing; one starting at it commits",
        arguments: StoreBackend.allCases)
    func staleBatchRefused(backend: StoreBackend) async throws {
        try await withStore(backend) { store in
            let id = UUID()
            // The partition's new owner committed offsets 0…9.
            try await store.commit(
                ProjectionBatch(
                    kind: .user, snapshots: [Fixtures.user(id, version: 3, fname: "New")], outcomes: [],
                    checkpoints: [Self.position(10)], starts: [Self.position(0)]
                ))
            // The evicted owner's batch for offsets 4…6 arrives late.
            let stale = ProjectionBatch(
                kind: .user, snapshots: [Fixtures.user(id, version: 2, fname: "Old")], outcomes: [],
                checkpoints: [Self.position(7)], starts: [Self.position(4), Self.position(0, partition: 1)]
            )
            let error = await #expect(throws: CheckpointFenced.self) { try await store.commit(stale) }
            #expect(error?.stored == Self.position(10))
            #expect(try await store.snapshot(.user, id: id)?.version == 3)
            #expect(try await store.checkpoints(of: .user) == [Self.position(10)])

            // The owner's next batch starts where its checkpoint is.
            try await store.commit(
                ProjectionBatch(
                    kind: .user, snapshots: [Fixtures.user(id, version: 4, fname: "Next")], outcomes: [],
                    checkpoints: [Self.position(12), Self.position(3, partition: 1)],
                    starts: [Self.position(10), Self.position(0, partition: 1)]
                ))
            #expect(try await store.snapshot(.user, id: id)?.version == 4)
            #expect(Set(try await store.checkpoints(of: .user)) == [Self.position(12), Self.position(3, partition: 1)])
        }
    }
}
