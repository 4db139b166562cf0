import Store
import Testing

/// The start-up retry: only while the store is unavailable, and only for so long.
@Suite("Retrying while the store is unavailable")
struct RetryWhileUnavailableTests {
    static func failure(_ code: StoreError.Code) -> StoreError {
        StoreError(code, backend: .postgres, operation: "catalog", message: "test")
    }

    @Test("unavailable answers are tried again until one succeeds; each retry is reported")
    func retriesUntilAnswered() async throws {
        var calls = 0
        var reported = 0
        let answer = try await retryWhileUnavailable(patience: .seconds(10), pause: .milliseconds(1), retrying: { _ in reported += 1 }) {
            calls += 1
            if calls < 3 { throw Self.failure(.unavailable) }
            return "catalog"
        }
        #expect(answer == "catalog")
        #expect(calls == 3)
        #expect(reported == 2)
    }

    @Test("any other failure is thrown at once", arguments: [StoreError.Code.misuse, .conflict, .corruptData])
    func otherFailures(code: StoreError.Code) async throws {
        var calls = 0
        let error = await #expect(throws: StoreError.self) {
            try await retryWhileUnavailable(patience: .seconds(10), pause: .milliseconds(1)) {
                calls += 1
                throw Self.failure(code)
            }
        }
        #expect(error?.code == code)
        #expect(calls == 1)
    }

    @Test("past its patience the last unavailable error is thrown")
    func givesUp() async throws {
        var calls = 0
        let started = ContinuousClock.now
        let error = await #expect(throws: StoreError.self) {
            try await retryWhileUnavailable(patience: .milliseconds(200), pause: .milliseconds(20)) {
                calls += 1
                throw Self.failure(.unavailable)
            }
        }
        #expect(error?.code == .unavailable)
        #expect(calls > 1)
        #expect(ContinuousClock.now - started >= .milliseconds(180))
    }
}
