import Domain
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// One open `text/event-stream` response: joins the ``ChangeFeed`` (after sending the backlog a
/// `Last-Event-ID` asks for), then writes what its ``FeedSubscription`` hands it until the client
/// goes, the stream overflows, or the gateway shuts down.
struct FeedStream: Sendable {
    let feed: ChangeFeed
    let filter: ChangeFeed.Filter
    let start: FeedPosition?
    /// Held until the stream ends: the stream counts against its client's limit.
    let lease: StreamLease
    let closeConnection: @Sendable () -> Void

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let settings = feed.settings
        let subscription = FeedSubscription(capacity: settings.bufferedEvents)
        var position: FeedPosition
        if let start { position = start } else { position = try await feed.now(filter.kind) }
        // Sent at once, so the client sees the answer before the first change.
        try await writer.write(ByteBuffer(string: ": connected\nretry: \(Int(settings.retry / .milliseconds(1)))\n\n"))
        try await withGracefulShutdownHandler {
            let (id, joined) = try await feed.join(filter, from: position, subscription: subscription) { events in
                try await send(events, to: &writer, position: &position)
            }
            defer { feed.leave(id) }
            position.advance(to: joined)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while true {
                        try await Task.sleep(for: settings.heartbeat)
                        subscription.beat()
                    }
                }
                group.addTask {
                    // A client that stopped reading leaves its writer waiting in a write forever:
                    // once it has overflowed and not finished within the grace, close its connection.
                    while subscription.ending != .overflow { try await Task.sleep(for: settings.overflowGrace) }
                    try await Task.sleep(for: settings.overflowGrace)
                    closeConnection()
                }
                defer { group.cancelAll() }
                while !Task.isCancelled {
                    let batch = await subscription.next()
                    try await send(batch.events, to: &writer, position: &position)
                    if batch.heartbeat, batch.events.isEmpty { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                    if batch.ending == .overflow {
                        try await writer.write(ByteBuffer(string: Self.overflow(capacity: settings.bufferedEvents, position: position)))
                    }
                    if batch.ending != nil { break }
                }
            }
        } onGracefulShutdown: {
            subscription.end(.shutdown)
        }
        try await writer.finish(nil)
    }

    /// Writes events in one buffer, each with its id: the stream's position after it (one
    /// entity's events are all on one partition, so its ids are just that partition's offset).
    private func send(_ events: [FeedEvent], to writer: inout any ResponseBodyWriter, position: inout FeedPosition) async throws {
        guard !events.isEmpty else { return }
        var text = ""
        for event in events {
            position.advance(event.position.partition, to: event.position.offset)
            let id =
                filter.entity == nil ? position.description : FeedPosition([event.position.partition: event.position.offset]).description
            text += event.text(id: id)
        }
        try await writer.write(ByteBuffer(string: text))
    }

    /// The final event of a stream whose client fell behind: where to resume from.
    static func overflow(capacity: Int, position: FeedPosition) -> String {
        let body = #"{"reason":"the client fell more than \#(capacity) events behind","lastEventId":"\#(position)"}"#
        return "event: overflow\ndata: \(body)\n\n"
    }
}
