import Domain
import Foundation
import Store
import Testing

@testable import Gateway

@Suite("Change feed parts: event ids and the per-stream buffer")
struct FeedPartsTests {
    @Test("an event id reads back as written; anything else is refused; empty is the start of the log")
    func positions() throws {
        let position = try #require(FeedPosition("3:22,0:15,1:7"))
        #expect(position.description == "0:15,1:7,3:22")
        #expect(FeedPosition(position.description) == position)
        #expect(FeedPosition("")?.offsets.isEmpty == true)
        for invalid in ["x", "0:", ":1", "0:1,", "0:1,0:2", "-1:3", "0:-1", "0:1;1:2", "0:1 "] {
            #expect(FeedPosition(invalid) == nil, "\(invalid)")
        }
        // Checkpoints name the next offset to read; a position, the last one covered.
        let checkpoints = FeedPosition(checkpoints: [
            LogPosition(topic: "t", partition: 0, offset: 16), LogPosition(topic: "t", partition: 2, offset: 0),
        ])
        #expect(checkpoints.description == "0:15")
        #expect(checkpoints.covers(LogPosition(topic: "t", partition: 0, offset: 15)))
        #expect(!checkpoints.covers(LogPosition(topic: "t", partition: 0, offset: 16)))
        #expect(!checkpoints.covers(LogPosition(topic: "t", partition: 2, offset: 0)))
        #expect(position.reaches(checkpoints))
        #expect(!checkpoints.reaches(position))
        var advanced = checkpoints
        advanced.advance(to: position)
        advanced.advance(0, to: 3)
        #expect(advanced == position)
    }

    @Test("the buffer hands events over in batches, and past its capacity drops them and ends with overflow")
    func buffer() async throws {
        let subscription = FeedSubscription(capacity: 3)
        let events = try (0..<4).map { offset in
            try FeedEvent(
                CommandOutcome(
                    commandID: UUID(), kind: .music, entityID: UUID(), recordType: .musicDelete, status: .applied, rejection: nil,
                    version: 2, position: LogPosition(topic: "t", partition: 0, offset: Int64(offset)), timestamp: Date(), actor: nil,
                    envelope: Data()
                ),
                state: nil
            )
        }
        #expect(subscription.offer(Array(events.prefix(2))))
        subscription.beat()
        let first = await subscription.next()
        #expect(first.events.map(\.position.offset) == [0, 1])
        #expect(first.heartbeat)
        #expect(first.ending == nil)
        #expect(events[0].text(id: "0:0").hasPrefix("event: music.delete\nid: 0:0\ndata: {\"deleted\":true,"))

        #expect(subscription.offer(Array(events.prefix(3))))
        #expect(!subscription.offer([events[3]]))
        let last = await subscription.next()
        #expect(last.events.isEmpty)
        #expect(last.ending == .overflow)
        #expect(!subscription.offer([events[0]]), "an ended stream takes nothing more")
    }
}
