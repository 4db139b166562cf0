import Domain
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /api/v2/{users|music|playlists}/events` and `/{id}/events`: each change as a
/// Server-Sent Event once a projector has applied it (see ``ChangeFeed``). The same auth rules as
/// reads apply; `Last-Event-ID` (or `?after=`) resumes after an event's id, `?include=rejected`
/// adds rejected commands.
struct FeedRoutes {
    let services: GatewayServices
    let feed: ChangeFeed

    func add(to router: Router<EncoreRequestContext>) {
        for kind in EntityKind.allCases {
            router.get("/api/v2/\(kind.topicSuffix)/events") { request, context in
                try await stream(kind, entity: nil, request: request, context: context)
            }
            router.get("/api/v2/\(kind.topicSuffix)/:id/events") { request, context in
                try await stream(kind, entity: try context.parameters.uuid("id"), request: request, context: context)
            }
        }
    }

    private func stream(_ kind: EntityKind, entity: UUID?, request: Request, context: EncoreRequestContext) async throws -> Response {
        let reads = try await services.reader(for: request, context: context)
        let query = request.uri.queryParameters
        let include = query["include"].map(String.init)
        guard include == nil || include == "rejected" else { throw APIError.badRequest("include may only be rejected") }
        // EventSource sends Last-Event-ID when it reconnects to the URL it started with, ?after= included.
        let header = request.headers[.lastEventID].flatMap { $0.isEmpty ? nil : $0 }
        var start: FeedPosition?
        if let text = header ?? query["after"].map(String.init) {
            guard let position = FeedPosition(text) else {
                throw APIError.badRequest("an event id is partition:offset pairs separated by commas, such as 0:15,1:7")
            }
            start = position
        }
        if let entity, try await reads.store(for: kind).snapshot(kind, id: entity) == nil {
            throw APIError.notFound("no \(kind.rawValue) with id \(entity.lowercasedString)")
        }
        guard let lease = feed.lease(client: context.client) else {
            throw APIError(
                .tooManyRequests, "too_many_streams",
                "this client already has \(feed.settings.streamsPerClient) event streams open; close one first", headers: [.retryAfter: "5"]
            )
        }
        let stream = FeedStream(
            feed: feed, filter: ChangeFeed.Filter(kind: kind, entity: entity, includeRejected: include != nil), start: start,
            lease: lease, closeConnection: context.closeConnection
        )
        return Response(
            status: .ok,
            // no-transform and X-Accel-Buffering: proxies must pass each event on at once.
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store, no-transform", .accelBuffering: "no"],
            body: ResponseBody { writer in try await stream.write(to: &writer) }
        )
    }
}

extension HTTPField.Name {
    /// What `EventSource` sends when it reconnects: the id of the last event it got.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// nginx's switch for buffering a response: off, so each event reaches the client at once.
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
