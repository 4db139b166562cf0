import Domain
import Foundation
import Log

/// What `encore replay` rebuilds, from where, and what it does once caught up.
public struct ReplayConfiguration: Sendable {
    /// What happens when the rebuilt namespace has caught up with the log.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Activate it atomically in place of the live namespace (the default).
        case activate
        /// Build it and leave it beside the live one (a later run resumes and activates it).
        case build
        /// Build it on the side, compare it entity by entity with the live one, then drop it.
        case verify
        /// The log was lost: rebuild from the log as it is now and activate without comparing.
        case adoptLog = "adopt-log"
    }

    /// Where the log is, and the operator's client settings.
    public var log: LogLocation
    /// The read models to rebuild.
    public var kinds: [EntityKind]
    /// The namespace to build (or resume); nil picks an unfinished one or a new name.
    public var namespace: String?
    /// Stop at this time: fold only records written at or before it (a snapshot, never activated).
    public var asOf: Date?
    public var mode: Mode
    /// Records folded per store transaction at most.
    public var batchSize: Int
    /// How long activation may keep chasing a live namespace that stays ahead.
    public var activationTimeout: Duration

    public init(
        log: LogLocation, kinds: [EntityKind] = EntityKind.allCases, namespace: String? = nil, asOf: Date? = nil,
        mode: Mode = .activate, batchSize: Int = 4_000, activationTimeout: Duration = .seconds(120)
    ) {
        self.log = log
        self.kinds = kinds
        self.namespace = namespace
        self.asOf = asOf
        self.mode = mode
        self.batchSize = batchSize
        self.activationTimeout = activationTimeout
    }
}
