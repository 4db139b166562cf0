/// The condition did not become true in time.
public struct ConditionTimeout: Error, CustomStringConvertible {
    public let what: String
    public let timeout: Duration
    public var description: String { "timed out after \(timeout) waiting for: \(what)" }
}

/// Re-evaluates `condition` until it holds, failing after `timeout`.
///
/// `condition` should itself make progress (e.g. poll a consumer), so this loop checks
/// state rather than sleeping a guessed amount of time.
public func eventually(
    _ what: String,
    timeout: Duration = .seconds(30),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw ConditionTimeout(what: what, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(10))  // polling interval, not a guess at timing
    }
}
