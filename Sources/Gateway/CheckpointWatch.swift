import Domain
import Locking
import Logging
import ServiceLifecycle
import Store

/// Tells requests when a projector has folded past a log position: a synchronous write waiting
/// for its outcome, or a read presenting a consistency token. One checkpoint query per read model
/// per round serves every waiting request, where each request used to poll the store itself.
///
/// The projector commits an outcome and its checkpoint in one transaction, so once the
/// checkpoint has passed a record's offset, its outcome is readable.
final class CheckpointWatch: Service, Sendable {
    private struct Waiter {
        let token: ConsistencyToken
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
        /// Resumed when the first waiter arrives while the loop is idle.
        var idle: CheckedContinuation<Void, Never>?
        var stopped = false
    }

    private let namespaces: ActiveNamespaces
    private let interval: Duration
    private let logger: Logger
    private let state = Locked(State())

    init(namespaces: ActiveNamespaces, interval: Duration = .milliseconds(2), logger: Logger) {
        self.namespaces = namespaces
        self.interval = interval
        self.logger = logger
    }

    /// Whether the token's projection folds past its offset within `timeout` (false on timeout,
    /// cancellation, or when the gateway stops).
    func wait(until token: ConsistencyToken, timeout: Duration) async -> Bool {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let deadline = ContinuousClock.now + timeout
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let idle: CheckedContinuation<Void, Never>?? = state.withLock { state in
                    guard !state.stopped, !Task.isCancelled else { return nil }
                    state.waiters[id] = Waiter(token: token, deadline: deadline, continuation: continuation)
                    defer { state.idle = nil }
                    return .some(state.idle)
                }
                switch idle {
                case nil: continuation.resume(returning: false)
                case .some(let loop): loop?.resume()
                }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.watch() }
        let left = state.withLock { state in
            state.stopped = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in left { waiter.continuation.resume(returning: false) }
    }

    private func watch() async {
        while !Task.isCancelled {
            let kinds = state.withLock { Set($0.waiters.values.map(\.token.kind)) }
            guard !kinds.isEmpty else {
                await idle()
                continue
            }
            for kind in kinds {
                do {
                    let checkpoints = try await namespaces.store(for: kind).checkpoints(projection: kind.topicSuffix)
                    resume { waiter in
                        waiter.token.kind == kind
                            && checkpoints.contains { $0.partition == waiter.token.partition && $0.offset > waiter.token.offset }
                    }
                } catch {
                    // The waiters time out unless the store answers again before their deadline.
                    logger.debug("checkpoint watch: \(kind.topicSuffix) checkpoints unreadable: \(error)")
                }
            }
            let now = ContinuousClock.now
            resume(false) { $0.deadline <= now }
            try? await Task.sleep(for: interval)
        }
    }

    /// Resumes, and forgets, every waiter that `matches`.
    private func resume(_ result: Bool = true, where matches: (Waiter) -> Bool) {
        let done = state.withLock { state in
            let done = state.waiters.filter { matches($0.value) }
            for id in done.keys { state.waiters.removeValue(forKey: id) }
            return done.values
        }
        for waiter in done { waiter.continuation.resume(returning: result) }
    }

    /// Returns when a waiter arrives or the task is cancelled.
    private func idle() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let start = state.withLock { state in
                    guard state.waiters.isEmpty, !Task.isCancelled else { return true }
                    state.idle = continuation
                    return false
                }
                if start { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.idle = nil }
                return state.idle
            }?.resume()
        }
    }
}
