import Domain
import Log
import Logging
import Testing

@testable import Gateway

/// LogEnds without a broker to ask (nothing listens at its address): what it knows without one.
@Suite("LogEnds: this gateway's own positions need no broker, and a cancelled judgement does not wait for one")
struct LogEndsTests {
    static let unreachable = LogLocation(brokers: "127.0.0.1:1", topicPrefix: "encore", kafkaProperties: [:])

    func withLogEnds(_ body: (LogEnds) async throws -> Void) async throws {
        let logEnds = try LogEnds(log: Self.unreachable, logger: Logger(label: "log-ends-test"))
        let closing = Task { try await logEnds.run() }
        defer { closing.cancel() }
        try await body(logEnds)
    }

    @Test("a position the gateway appended is in the log; the next one is not known without the broker")
    func appendedPositions() async throws {
        try await withLogEnds { logEnds in
            logEnds.appended(ConsistencyToken(kind: .music, partition: 2, offset: 41))
            #expect(await logEnds.judge(ConsistencyToken(kind: .music, partition: 2, offset: 41)) == .inLog)
            #expect(await logEnds.judge(ConsistencyToken(kind: .music, partition: 2, offset: 7)) == .inLog)
            // Beyond what it appended it must ask the broker, which does not answer: no verdict.
            #expect(await logEnds.judge(ConsistencyToken(kind: .music, partition: 2, offset: 42)) == nil)
        }
    }

    @Test("a judgement cancelled while the broker read is under way answers nil at once")
    func cancelledJudgement() async throws {
        try await withLogEnds { logEnds in
            enum First: Equatable { case answered(LogEnds.Verdict?), held }
            let first = await withTaskGroup(of: First.self) { group in
                let judging = Task { await logEnds.judgeUnlessCancelled(ConsistencyToken(kind: .user, partition: 0, offset: 5)) }
                // Cancelled once its broker read is (very likely) under way: nothing to await shows that.
                try? await Task.sleep(for: .milliseconds(200))
                judging.cancel()
                group.addTask { .answered(await judging.value) }
                // The broker read this gives up on lasts its 5 s metadata timeout at least.
                group.addTask {
                    try? await Task.sleep(for: .seconds(3))
                    return .held
                }
                let first = await group.next()
                group.cancelAll()
                return first
            }
            #expect(first == .answered(nil))
        }
    }
}
