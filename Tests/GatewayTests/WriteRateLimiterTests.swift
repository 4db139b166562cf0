import Testing

@testable import Gateway

@Suite("Write rate limiter: token buckets per client")
struct WriteRateLimiterTests {
    let start = ContinuousClock.now

    @Test("a burst passes, the next write waits exactly until a token has refilled")
    func burstThenWait() {
        let limiter = WriteRateLimiter(rate: 2, burst: 4)
        for _ in 0..<4 { #expect(limiter.acquire(client: "a", now: start) == nil) }
        #expect(limiter.acquire(client: "a", now: start) == .milliseconds(500))
        #expect(limiter.acquire(client: "a", now: start + .milliseconds(250)) == .milliseconds(250))
        #expect(limiter.acquire(client: "a", now: start + .milliseconds(500)) == nil, "one token after 1/rate seconds")
        #expect(limiter.acquire(client: "a", now: start + .milliseconds(500)) != nil)
    }

    @Test("clients have separate buckets, and a refill never exceeds the burst")
    func separateClients() {
        let limiter = WriteRateLimiter(rate: 1, burst: 2)
        #expect(limiter.acquire(client: "a", now: start) == nil)
        #expect(limiter.acquire(client: "a", now: start) == nil)
        #expect(limiter.acquire(client: "a", now: start) != nil)
        #expect(limiter.acquire(client: "b", now: start) == nil, "another client is not slowed by a")
        let later = start + .seconds(3600)
        #expect(limiter.acquire(client: "a", now: later) == nil)
        #expect(limiter.acquire(client: "a", now: later) == nil)
        #expect(limiter.acquire(client: "a", now: later) != nil, "an hour idle still refills only the burst")
    }

    @Test("with many clients, idle ones are forgotten and busy ones kept")
    func pruning() {
        let limiter = WriteRateLimiter(rate: 1, burst: 1, pruneThreshold: 3)
        #expect(limiter.acquire(client: "busy", now: start) == nil)
        #expect(limiter.acquire(client: "idle-1", now: start - .seconds(10)) == nil)
        #expect(limiter.acquire(client: "idle-2", now: start - .seconds(10)) == nil)
        #expect(limiter.clientCount == 3)
        #expect(limiter.acquire(client: "new", now: start) == nil)
        #expect(limiter.clientCount == 2, "the two refilled buckets went, busy and new stay")
        #expect(limiter.acquire(client: "busy", now: start) != nil, "busy's empty bucket was kept")
    }
}
