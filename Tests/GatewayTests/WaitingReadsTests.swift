import Testing

@testable import Gateway

@Suite("Waiting reads are bounded per client")
struct WaitingReadsTests {
    @Test("a client gets its limit of places, no more; a place given back can be taken again; clients do not share")
    func bound() {
        let waiting = WaitingReads(limit: 3)
        #expect((0..<3).allSatisfy { _ in waiting.enter("a") })
        #expect(!waiting.enter("a"))
        #expect(waiting.enter("b"))
        waiting.leave("a")
        #expect(waiting.enter("a"))
        #expect(!waiting.enter("a"))
    }
}
