import Domain
import Foundation
import Store

/// Every entity of every read model of a store, tombstones included: two namespaces that
/// folded the same log prefix have equal dumps.
public func readModelDump(_ store: any ReadModelStore) async throws -> [EntityKind: [EntitySnapshot]] {
    var dump: [EntityKind: [EntitySnapshot]] = [:]
    for kind in EntityKind.allCases {
        var all: [EntitySnapshot] = []
        var cursor: UUID?
        while true {
            let page = try await store.list(kind, after: cursor, limit: 5000, includingDeleted: true)
            all += page
            guard page.count == 5000, let last = page.last else { break }
            cursor = last.id
        }
        dump[kind] = all
    }
    return dump
}
