import Locking

/// Token buckets per client: on average `rate` writes per second, in bursts of up to `burst`.
///
/// One process's view: each gateway limits what reaches it, so N write gateways behind a load
/// balancer admit up to N × `rate` from one client.
final class WriteRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    private let buckets = Locked<[String: Bucket]>([:])
    /// Above this many clients, buckets that have refilled completely are forgotten.
    private let pruneThreshold: Int

    init(rate: Double, burst: Double, pruneThreshold: Int = 10_000) {
        precondition(rate > 0 && burst >= 1, "a rate limit needs a positive rate and a burst of at least one write")
        self.rate = rate
        self.burst = burst
        self.pruneThreshold = pruneThreshold
    }

    /// Takes one write from `client`'s bucket: nil when it may go ahead, otherwise how long until it could.
    func acquire(client: String, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            if buckets.count >= pruneThreshold, buckets[client] == nil {
                buckets = buckets.filter { refilled($0.value, at: now) < burst }
            }
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = refilled(bucket, at: now)
            bucket.updated = now
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else { return .seconds((1 - bucket.tokens) / rate) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// How many clients have a bucket (idle ones are pruned only when there are many).
    var clientCount: Int { buckets.withLock { $0.count } }

    private func refilled(_ bucket: Bucket, at now: ContinuousClock.Instant) -> Double {
        min(burst, bucket.tokens + max(0, (now - bucket.updated) / .seconds(1)) * rate)
    }
}
