import Foundation
import Synchronization

/// A dedicated OS thread that calls a blocking librdkafka poll function until stopped.
final class PollThread: Sendable {
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the thread; `pollOnce` should block for a short, bounded time.
    init(name: String, pollOnce: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) { pollOnce() }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the loop and waits for the thread to leave it. Blocking: call off the cooperative pool.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}
