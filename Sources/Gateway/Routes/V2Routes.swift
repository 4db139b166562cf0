import Domain
import Foundation
import Hummingbird

/// The native REST API under `/api/v2/users|music|playlists`.
///
/// Creates answer 201 with `Location` once applied, or 202 at once with `Prefer: respond-async`;
/// `ETag` is the entity version and `If-Match` makes a write conditional (412 on mismatch,
/// before anything is appended).
struct V2Routes {
    let services: GatewayServices

    func collection(_ kind: EntityKind) -> RouteCollection<EncoreRequestContext> {
        let routes = RouteCollection(context: EncoreRequestContext.self)
        routes.post { request, context in
            let action = try await createAction(kind, request, context: context)
            return try await create(kind, action, request: request, context: context)
        }
        routes.get { request, context in try await list(kind, request: request, context: context) }
        routes.get(":id") { request, context in
            let id = try context.parameters.uuid("id")
            let reader = try await services.reader(for: request, context: context)
            let snapshot =
                if let moment = try Self.moment(request) {
                    try await reader.past(kind, id, at: moment)
                } else {
                    try await reader.live(kind, id)
                }
            return V2.Resource(snapshot: snapshot).answer(headers: [.eTag: V2.etag(snapshot.version)])
        }
        routes.get(":id/history") { request, context in
            let id = try context.parameters.uuid("id")
            let outcomes = try await services.reader(for: request, context: context).store(for: kind).history(kind, id: id)
            guard !outcomes.isEmpty else { throw APIError.notFound("no \(kind.rawValue) with id \(id.lowercasedString)") }
            let opened = try await services.reads.opened(outcomes, of: kind, id: id)
            return V2.History(items: outcomes.map { V2.History.Entry($0, opened: opened[$0.commandID]) })
        }
        routes.delete(":id") { request, context in
            let id = try context.parameters.uuid("id")
            let delete: Action =
                switch kind {
                case .user: .deleteUser
                case .music: .deleteMusic
                case .playlist: .deletePlaylist
                }
            return try await modify(kind, id, delete, request: request, context: context, status: .noContent)
        }
        switch kind {
        case .user, .music:
            routes.put(":id") { request, context in
                let id = try context.parameters.uuid("id")
                let action = try await replaceAction(kind, request, context: context)
                return try await modify(kind, id, action, request: request, context: context)
            }
        case .playlist:
            routes.put(":id/name") { request, context in
                let id = try context.parameters.uuid("id")
                let name = try await request.decode(as: V2.NameBody.self, context: context).name
                return try await modify(kind, id, .renamePlaylist(name: name), request: request, context: context)
            }
            routes.post(":id/songs") { request, context in
                let id = try context.parameters.uuid("id")
                let song = try await request.decode(as: SongReference<V2>.self, context: context).song
                try await services.reads.requireSongs([song])
                return try await modify(kind, id, .addSong(song), request: request, context: context)
            }
            routes.delete(":id/songs/:songId") { request, context in
                let id = try context.parameters.uuid("id")
                let song = try context.parameters.uuid("songId")
                return try await modify(kind, id, .removeSong(song), request: request, context: context)
            }
        }
        return routes
    }

    private func createAction(_ kind: EntityKind, _ request: Request, context: EncoreRequestContext) async throws -> Action {
        switch kind {
        case .user, .music:
            switch try await replaceAction(kind, request, context: context) {
            case .updateUser(let user): return .createUser(user)
            case .updateMusic(let song): return .createMusic(song)
            default: preconditionFailure("replaceAction returns updates only")
            }
        case .playlist:
            let playlist = try await request.decode(as: V2.PlaylistBody.self, context: context).playlist
            try await services.reads.requireSongs(playlist.songs)
            return .createPlaylist(playlist)
        }
    }

    private func replaceAction(_ kind: EntityKind, _ request: Request, context: EncoreRequestContext) async throws -> Action {
        if kind == .user {
            return .updateUser(try await request.decode(as: UserBody.self, context: context).user)
        }
        return .updateMusic(try await request.decode(as: SongBody<V2>.self, context: context).song)
    }

    private func create(_ kind: EntityKind, _ action: Action, request: Request, context: EncoreRequestContext) async throws -> Response {
        let id = UUID()
        let command = Command(entityID: id, actor: context.identity, action: action)
        let result = try await services.write(command, request: request, async: Self.respondAsync(request))
        var headers = services.tokenHeader(result)
        headers[.location] = "/api/v2/\(kind.topicSuffix)/\(id.lowercasedString)"
        switch result {
        case .applied(let version, _):
            headers[.eTag] = V2.etag(version)
            let snapshot = EntitySnapshot(kind: kind, id: id, version: version, state: Fold.replay([command])?.state)
            return try V2.Resource(snapshot: snapshot).answer(.created, headers: headers).response(from: request, context: context)
        case .accepted(let token):
            return try V2.Accepted(command, token: token).answer(.accepted, headers: headers).response(from: request, context: context)
        }
    }

    private func modify(
        _ kind: EntityKind, _ id: UUID, _ action: Action, request: Request, context: EncoreRequestContext,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let expected = try Self.ifMatch(request)
        // A write naming a version the read model does not show is refused here, before the
        // log: a stale client learns it at once, even with `Prefer: respond-async`. The fold
        // still decides between writers that both passed this check. A client that has just
        // written presents the write's consistency token, so the read model is caught up first.
        try await services.awaitConsistency(request, context: context)
        let current = try await services.reads.live(kind, id)
        if let expected, expected != current.version {
            throw APIError(
                .preconditionFailed, Rejection.versionMismatch.code,
                "If-Match names version \(expected) but \(kind.rawValue) \(id.lowercasedString) is at version \(current.version); nothing was appended"
            )
        }
        let command = Command(entityID: id, actor: context.identity, expectedVersion: expected, action: action)
        let result = try await services.write(command, request: request, async: Self.respondAsync(request))
        var headers = services.tokenHeader(result)
        switch result {
        case .applied(let version, _):
            headers[.eTag] = V2.etag(version)
            guard status != .noContent, let snapshot = try await services.reads.store(for: kind).snapshot(kind, id: id) else {
                return Response(status: status, headers: headers)
            }
            return try V2.Resource(snapshot: snapshot).answer(status, headers: headers).response(from: request, context: context)
        case .accepted(let token):
            return try V2.Accepted(command, token: token).answer(.accepted, headers: headers).response(from: request, context: context)
        }
    }

    private func list(_ kind: EntityKind, request: Request, context: EncoreRequestContext) async throws -> V2.Page {
        let page = try Page(request.uri.queryParameters, cursorName: "cursor")
        let (shown, next) = try await services.reader(for: request, context: context).page(kind, page)
        return V2.Page(shown, next: next)
    }

    /// `If-Match: "3"` → expected version 3; `*` or absent → unconditional.
    static func ifMatch(_ request: Request) throws -> Int? {
        guard let value = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), value != "*" else { return nil }
        let digits = value.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let version = Int(digits), version >= 0 else { throw APIError.badRequest("If-Match must be an ETag such as \"3\"") }
        return version
    }

    /// `?asOf=<ISO 8601 time>` or `?version=N`: which past state a read asks for; nil for now.
    static func moment(_ request: Request) throws -> Moment? {
        let query = request.uri.queryParameters
        switch (query["asOf"], query["version"]) {
        case (nil, nil):
            return nil
        case (let time?, nil):
            guard let date = Moment.parseTime(String(time)) else {
                throw APIError.badRequest("asOf must be an ISO 8601 time with a zone, such as 2026-11-29T09:30:00Z")
            }
            return .time(date)
        case (nil, let version?):
            guard let number = Int(String(version)), number >= 1 else { throw APIError.badRequest("version must be a positive integer") }
            return .version(number)
        case (_?, _?):
            throw APIError.badRequest("give asOf or version, not both")
        }
    }

    static func respondAsync(_ request: Request) -> Bool {
        request.headers[.prefer]?.lowercased().contains("respond-async") ?? false
    }
}
