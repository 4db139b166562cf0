import Domain
import Locking
import Logging
import MetadataKeys
import ServiceLifecycle
import Store

/// Tells requests when a projector has folded past a log position: a synchronous write waiting
/// for its outcome, or a read presenting a consistency token. One checkpoint query per read model
/// per round serves every waiting request, where each request used to poll the store itself.
/// Rounds follow at 1 ms after a request arrives or is woken, then further apart (up to 20 ms)
/// while nothing changes, so a slow projector is not met with a query every millisecond.
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
        /// A waiter arrived since the last round: the next round comes soon.
        var arrived = false
        var stopped = false
    }

    private let namespaces: ActiveNamespaces
    private let logger: Logger
    private let state = Locked(State())
    private static let shortest = Duration.milliseconds(1)
    private static let longest = Duration.milliseconds(20)

    init(namespaces: ActiveNamespaces, logger: Logger) {
        self.namespaces = namespaces
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
                    state.arrived = true
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
        var interval = Self.shortest
        while !Task.isCancelled {
            let kinds = state.withLock { Set($0.waiters.values.map(\.token.kind)) }
            guard !kinds.isEmpty else {
                await idle()
                continue
            }
            var woke = false
            for kind in kinds {
                do {
                    let checkpoints = try await namespaces.store(for: kind).checkpoints(of: kind)
                    let wokeHere = resume { waiter in
                        waiter.token.kind == kind
                            && checkpoints.contains { $0.partition == waiter.token.partition && $0.offset > waiter.token.offset }
                    }
                    woke = woke || wokeHere
                } catch {
                    // The waiters time out unless the store answers again before their deadline.
                    logger.debug(
                        "checkpoint watch: checkpoints unreadable",
                        metadata: [MetadataKey.projection: "\(kind.topicSuffix)", MetadataKey.error: "\(error)"])
                }
            }
            let now = ContinuousClock.now
            resume(false) { $0.deadline <= now }
            let arrived = state.withLock { state in
                defer { state.arrived = false }
                return state.arrived
            }
            interval = woke || arrived ? Self.shortest : min(interval * 2, Self.longest)
            try? await Task.sleep(for: interval)
        }
    }

    /// Resumes, and forgets, every waiter that `matches`; returns whether there was one.
    @discardableResult
    private func resume(_ result: Bool = true, where matches: (Waiter) -> Bool) -> Bool {
        let done = state.withLock { state in
            let done = state.waiters.filter { matches($0.value) }
            for id in done.keys { state.waiters.removeValue(forKey: id) }
            return done.values
        }
        for waiter in done { waiter.continuation.resume(returning: result) }
        return !done.isEmpty
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
