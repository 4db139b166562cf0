import Foundation
import Locking

/// One open stream's bounded buffer between the hub, which offers events and never waits, and
/// the stream's writer, which takes them in batches as fast as its client reads.
final class FeedSubscription: Sendable {
    /// Why a stream ends from the gateway's side.
    enum Ending: Sendable, Equatable {
        /// The client fell `capacity` events behind.
        case overflow
        /// The gateway is shutting down.
        case shutdown
    }

    /// What the writer sends next: the events in order, then, if due, a heartbeat, then, if set, the end.
    struct Batch: Sendable {
        var events: [FeedEvent] = []
        var heartbeat = false
        var ending: Ending?
    }

    private struct State {
        var pending = Batch()
        var waiter: CheckedContinuation<Batch, Never>?
    }

    let capacity: Int
    private let state = Locked(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Appends events unless the buffer would go over its capacity: then the buffered events are
    /// dropped (the client resumes after the last one it got) and the stream ends with
    /// ``Ending/overflow``. Returns false once the stream has ended.
    @discardableResult
    func offer(_ events: [FeedEvent]) -> Bool {
        guard !events.isEmpty else { return true }
        return update { pending in
            guard pending.ending == nil else { return false }
            guard pending.events.count + events.count <= capacity else {
                pending.events = []
                pending.ending = .overflow
                return false
            }
            pending.events += events
            return true
        }
    }

    /// Asks for a heartbeat comment (only useful when nothing else is pending).
    func beat() {
        update { pending in
            pending.heartbeat = true
            return true
        }
    }

    /// Ends the stream after what is already buffered.
    func end(_ ending: Ending) {
        update { pending in
            if pending.ending == nil { pending.ending = ending }
            return true
        }
    }

    var ending: Ending? { state.withLock { $0.pending.ending } }

    /// Everything pending, waiting until something is; an empty batch when the task is cancelled.
    func next() async -> Batch {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Batch? in
                    guard !Self.isEmpty(state.pending) || Task.isCancelled else {
                        state.waiter = continuation
                        return nil
                    }
                    defer {
                        state.pending.events = []
                        state.pending.heartbeat = false
                    }
                    return state.pending
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume(returning: Batch())
        }
    }

    /// Changes what is pending and hands it to a waiting writer.
    @discardableResult
    private func update(_ change: (inout Batch) -> Bool) -> Bool {
        let (result, handoff) = state.withLock { state -> (Bool, (CheckedContinuation<Batch, Never>, Batch)?) in
            let result = change(&state.pending)
            guard let waiter = state.waiter, !Self.isEmpty(state.pending) else { return (result, nil) }
            state.waiter = nil
            defer {
                state.pending.events = []
                state.pending.heartbeat = false
            }
            return (result, (waiter, state.pending))
        }
        if case let (waiter, batch)? = handoff { waiter.resume(returning: batch) }
        return result
    }

    private static func isEmpty(_ batch: Batch) -> Bool {
        batch.events.isEmpty && !batch.heartbeat && batch.ending == nil
    }
}
