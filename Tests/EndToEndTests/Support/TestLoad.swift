/// Keeps the heaviest end-to-end tests from running beside the others: on a 2-core CI machine
/// a 100,000-record replay next to thirty live gateways starves their HTTP answers past the
/// test client's timeout. Normal tests share the machine; an exclusive test waits for them to
/// finish and runs alone. Waiters are served in arrival order.
actor TestLoad {
    static let shared = TestLoad()

    private var sharedHolders = 0
    private var exclusiveHeld = false
    private var waiters: [(exclusive: Bool, resume: CheckedContinuation<Void, Never>)] = []

    /// Runs `body` while holding the machine shared, or alone with `exclusive`.
    static func run<T>(exclusive: Bool, _ body: () async throws -> T) async throws -> T {
        await shared.acquire(exclusive: exclusive)
        do {
            let result = try await body()
            await shared.release(exclusive: exclusive)
            return result
        } catch {
            await shared.release(exclusive: exclusive)
            throw error
        }
    }

    private func acquire(exclusive: Bool) async {
        if waiters.isEmpty, canGrant(exclusive: exclusive) {
            grant(exclusive: exclusive)
            return
        }
        await withCheckedContinuation { waiters.append((exclusive, $0)) }
    }

    private func release(exclusive: Bool) {
        if exclusive { exclusiveHeld = false } else { sharedHolders -= 1 }
        while let next = waiters.first, canGrant(exclusive: next.exclusive) {
            waiters.removeFirst()
            grant(exclusive: next.exclusive)
            next.resume.resume()
        }
    }

    private func canGrant(exclusive: Bool) -> Bool {
        exclusive ? !exclusiveHeld && sharedHolders == 0 : !exclusiveHeld
    }

    private func grant(exclusive: Bool) {
        if exclusive { exclusiveHeld = true } else { sharedHolders += 1 }
    }
}
