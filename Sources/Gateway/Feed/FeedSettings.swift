/// How a gateway serves live change feeds (`GET /api/v2/{kind}/events`, `/{kind}/{id}/events`).
public struct FeedSettings: Sendable {
    /// Open streams one client (its token's user, else its address) may hold; `429` beyond.
    public var streamsPerClient: Int
    /// Events a stream may fall behind its client before it is ended with an `overflow` event.
    public var bufferedEvents: Int
    /// How often an idle stream sends a comment, so proxies keep the connection open.
    public var heartbeat: Duration
    /// How often the hub reads the checkpoints while a stream is open.
    public var pollInterval: Duration
    /// How long an overflowed stream may still take to send its final event before its
    /// connection is closed (a client that stopped reading never takes it).
    public var overflowGrace: Duration
    /// The reconnection delay sent to `EventSource` clients.
    public var retry: Duration

    public init(
        streamsPerClient: Int = 16, bufferedEvents: Int = 1_000, heartbeat: Duration = .seconds(15),
        pollInterval: Duration = .milliseconds(20), overflowGrace: Duration = .seconds(2), retry: Duration = .seconds(1)
    ) {
        self.streamsPerClient = streamsPerClient
        self.bufferedEvents = bufferedEvents
        self.heartbeat = heartbeat
        self.pollInterval = pollInterval
        self.overflowGrace = overflowGrace
        self.retry = retry
    }
}
