import Foundation
import Testing

@testable import Lag

/// Rates and statuses from a partition's observations: pure, no I/O.
@Suite("Lag rules")
struct LagRulesTests {
    private static let start = Date(timeIntervalSince1970: 1_800_000_000)

    private static func window(_ points: [(seconds: Double, checkpoint: Int64, logEnd: Int64)]) -> [LagRules.Observation] {
        points.map { LagRules.Observation(at: start.addingTimeInterval($0.seconds), checkpoint: $0.checkpoint, logEnd: $0.logEnd) }
    }

    @Test("rate is checkpoint progress over the window's time span")
    func rate() {
        #expect(LagRules.rate(Self.window([(0, 100, 100), (2, 150, 160), (4, 300, 300)])) == 50)
        #expect(LagRules.rate(Self.window([(0, 100, 100)])) == nil)
        #expect(LagRules.rate([]) == nil)
    }

    @Test("no lag is OK, even with the checkpoint standing still")
    func idle() {
        #expect(LagRules.status(Self.window([(0, 10, 10), (20, 10, 10)]), members: 1, stallAfter: 10) == .ok)
    }

    @Test("lag with a moving checkpoint and shrinking lag is OK")
    func catchingUp() {
        #expect(LagRules.status(Self.window([(0, 0, 100), (5, 50, 110), (11, 100, 120)]), members: 1, stallAfter: 10) == .ok)
    }

    @Test("lag that grew over the window while the checkpoint moves is WARN")
    func fallingBehind() {
        #expect(LagRules.status(Self.window([(0, 0, 10), (5, 20, 60), (11, 40, 120)]), members: 1, stallAfter: 10) == .warn)
        // Too short a window to call it a trend.
        #expect(LagRules.status(Self.window([(0, 0, 10), (5, 20, 60)]), members: 1, stallAfter: 10) == .ok)
    }

    @Test("lag with the checkpoint unchanged for the stall period is STALLED, not before")
    func stalled() {
        #expect(LagRules.status(Self.window([(0, 5, 10), (9, 5, 12)]), members: 1, stallAfter: 10) == .ok)
        #expect(LagRules.status(Self.window([(0, 5, 10), (9, 5, 12), (10, 5, 12)]), members: 1, stallAfter: 10) == .stalled)
        #expect(LagRules.status(Self.window([(0, 1, 10), (2, 5, 10), (12, 5, 12)]), members: 1, stallAfter: 10) == .stalled)
    }

    @Test("no live member while records wait and the checkpoint stands still is STOPPED; unknown membership is not")
    func stopped() {
        #expect(LagRules.status(Self.window([(0, 5, 10)]), members: 0, stallAfter: 10) == .stopped)
        #expect(LagRules.status(Self.window([(0, 5, 10), (1, 5, 12)]), members: 0, stallAfter: 10) == .stopped)
        #expect(LagRules.status(Self.window([(0, 5, 10)]), members: nil, stallAfter: 10) == .ok)
    }

    @Test("no live member is not STOPPED while caught up, nor while a consumer outside any group moves the checkpoint")
    func noMemberButFolded() {
        #expect(LagRules.status(Self.window([(0, 10, 10)]), members: 0, stallAfter: 10) == .ok)
        #expect(LagRules.status(Self.window([(0, 2, 10), (1, 6, 12)]), members: 0, stallAfter: 10) == .ok)
    }

    @Test("a log end behind the checkpoint is DATA_LOSS, before anything else")
    func dataLoss() {
        #expect(LagRules.status(Self.window([(0, 50, 10)]), members: 0, stallAfter: 10) == .dataLoss)
    }

    @Test("statuses order by severity")
    func severity() {
        #expect([LagStatus.warn, .ok, .dataLoss, .stalled, .stopped].max() == .dataLoss)
        #expect(LagStatus.allCases.sorted() == [.ok, .warn, .stalled, .stopped, .dataLoss])
    }
}
