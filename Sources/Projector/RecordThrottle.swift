/// Paces a projection loop to at most `perSecond` records per second: a testing and operations
/// knob that keeps a projector deliberately behind (slow-consumer drills).
struct RecordThrottle: Sendable {
    let perSecond: Int
    private var next = ContinuousClock.now

    init(perSecond: Int) {
        self.perSecond = max(1, perSecond)
    }

    /// The largest batch to poll, so one batch never takes more than a second of the budget.
    func batchLimit(_ maxBatch: Int) -> Int { min(maxBatch, perSecond) }

    /// Waits until `count` more records fit the rate. Idle time earns no credit, so a burst
    /// after a quiet spell is paced too.
    mutating func pace(_ count: Int) async throws {
        next = max(next, ContinuousClock.now) + .seconds(Double(count) / Double(perSecond))
        try await Task.sleep(until: next, clock: .continuous)
    }
}
