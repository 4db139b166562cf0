import Locking

/// Thrown by ``withDeadline(_:_:)`` when the body did not finish in time.
struct DeadlineExceeded: Error, Sendable {}

/// Runs `body` in a new task and returns its result, or throws ``DeadlineExceeded`` after `timeout`.
///
/// On timeout (or cancellation of the caller) the body's task is cancelled but not awaited: a
/// network driver stuck on a dead socket or in a connection pool's retry loop cannot hold the caller.
func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, timeout: timeout, body)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The body task and the timer task of one ``withDeadline(_:_:)``; whichever finishes first resumes the caller.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
        var result: Result<T, any Error>?
    }

    private let state = Locked(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, timeout: Duration, _ body: @escaping @Sendable () async throws -> T) {
        let work = Task {
            do { self.finish(.success(try await body())) } catch { self.finish(.failure(error)) }
        }
        let timer = Task {
            // A cancelled sleep means the body finished first.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self.finish(.failure(DeadlineExceeded()))
        }
        let early = state.withLock { state -> Result<T, any Error>? in
            if let result = state.result { return result }
            state.continuation = continuation
            state.tasks = [work, timer]
            return nil
        }
        if let early {
            // Finished (or was cancelled) before the continuation was stored.
            work.cancel()
            timer.cancel()
            continuation.resume(with: early)
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard state.result == nil else { return (nil, []) }
            state.result = result
            defer {
                state.continuation = nil
                state.tasks = []
            }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}
