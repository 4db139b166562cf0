/// Runs `operation` until it succeeds, fails with anything but a retriable ``StoreError``, or
/// `patience` has passed (then its last error is thrown); `pause` between tries, each retried
/// failure handed to `retrying` first (to log it).
public func retryWhileUnavailable<T>(
    patience: Duration, pause: Duration = .milliseconds(500),
    retrying: (StoreError) -> Void = { _ in },
    _ operation: () async throws -> T
) async throws -> T {
    let deadline = ContinuousClock.now + patience
    while true {
        do {
            return try await operation()
        } catch let error as StoreError where error.code.isRetriable && ContinuousClock.now + pause < deadline {
            retrying(error)
            try await Task.sleep(for: pause)
        }
    }
}
