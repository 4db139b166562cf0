import Foundation
import PostgresNIO  // ByteBuffer

/// Outcomes as one array per column, for `UNNEST`. A missing rejection is "" (no rejection has
/// that raw value); a missing actor is flagged in `hasActor`, since "" is a possible actor.
struct OutcomeColumns: Sendable {
    var commandIDs: [UUID] = []
    var kinds: [String] = []
    var entityIDs: [UUID] = []
    var recordTypes: [String] = []
    var statuses: [String] = []
    var rejections: [String] = []
    var versions: [Int64] = []
    var topics: [String] = []
    var partitions: [Int32] = []
    var offsets: [Int64] = []
    /// Microseconds since 1970: exact, where PostgresNIO's `Date` encoding truncates.
    var timestamps: [Int64] = []
    var hasActor: [Bool] = []
    var actors: [String] = []
    var envelopes: [ByteBuffer] = []

    init(_ outcomes: [StoredOutcome]) {
        for outcome in outcomes {
            commandIDs.append(outcome.commandID)
            kinds.append(outcome.kind)
            entityIDs.append(outcome.entityID)
            recordTypes.append(outcome.recordType)
            statuses.append(outcome.status)
            rejections.append(outcome.rejection ?? "")
            versions.append(outcome.version)
            topics.append(outcome.topic)
            partitions.append(outcome.partition)
            offsets.append(outcome.offset)
            timestamps.append(outcome.timestampMicroseconds)
            hasActor.append(outcome.actor != nil)
            actors.append(outcome.actor ?? "")
            envelopes.append(ByteBuffer(bytes: outcome.envelope))
        }
    }
}
