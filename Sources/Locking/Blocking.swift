import Dispatch

/// Runs blocking work (a librdkafka call, an SQLite statement, an fsync) on a Dispatch queue and
/// awaits it, so it never occupies a thread of Swift's cooperative pool. A serial `queue` also
/// orders the calls, as each SQLite connection and the journal's writer need.
public func blocking<T: Sendable>(
    on queue: DispatchQueue = .global(),
    _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        queue.async { continuation.resume(with: Result { try body() }) }
    }
}
