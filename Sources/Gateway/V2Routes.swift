import Domain
import Foundation
import Hummingbird

/// The native REST API under `/api/v2/users|music|playlists`.
///
/// Creates answer 201 with `Location` once applied, or 202 at once with `Prefer: respond-async`;
/// `ETag` is the entity version and `If-Match` makes a write conditional (412 on mismatch).
struct V2Routes {
    let services: GatewayServices

    func collection(_ kind: EntityKind) -> RouteCollection<EncoreRequestContext> {
        let routes = RouteCollection(context: EncoreRequestContext.self)
        routes.post { request, context in
            let action = try await createAction(kind, request)
            return try await create(kind, action, request: request, context: context)
        }
        routes.get { request, _ in try await list(kind, request: request) }
        routes.get(":id") { request, context in
            let snapshot = try await services.reader(for: request).live(kind, try context.parameters.uuid("id"))
            return try JSONResponse.make(.ok, V2Representation.resource(snapshot), headers: [.eTag: V2Representation.etag(snapshot.version)])
        }
        routes.get(":id/history") { request, context in
            let id = try context.parameters.uuid("id")
            let outcomes = try await services.reader(for: request).store(for: kind).history(kind, id: id)
            guard !outcomes.isEmpty else { throw APIError.notFound("no \(kind.rawValue) with id \(id.uuidString.lowercased())") }
            return try JSONResponse.make(.ok, ["items": outcomes.map(V2Representation.history)])
        }
        routes.delete(":id") { request, context in
            let id = try context.parameters.uuid("id")
            let delete: Action = switch kind {
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
                let action = try await replaceAction(kind, request)
                return try await modify(kind, id, action, request: request, context: context)
            }
        case .playlist:
            routes.put(":id/name") { request, context in
                let id = try context.parameters.uuid("id")
                let name = try await JSONBody.read(request, allowed: ["name"]).string("name")
                return try await modify(kind, id, .renamePlaylist(name: name), request: request, context: context)
            }
            routes.post(":id/songs") { request, context in
                let id = try context.parameters.uuid("id")
                let song = try await JSONBody.read(request, allowed: ["musicId"]).uuid("musicId")
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

    private func createAction(_ kind: EntityKind, _ request: Request) async throws -> Action {
        switch kind {
        case .user, .music:
            switch try await replaceAction(kind, request) {
            case .updateUser(let user): return .createUser(user)
            case .updateMusic(let song): return .createMusic(song)
            default: preconditionFailure("replaceAction returns updates only")
            }
        case .playlist:
            let body = try await JSONBody.read(request, allowed: ["name", "songs"])
            let songs = try body.uuidArray("songs") ?? []
            try await services.reads.requireSongs(songs)
            return .createPlaylist(Playlist(name: try body.string("name"), songs: songs))
        }
    }

    private func replaceAction(_ kind: EntityKind, _ request: Request) async throws -> Action {
        if kind == .user {
            let body = try await JSONBody.read(request, allowed: ["fname", "lname", "email"])
            return .updateUser(User(fname: try body.string("fname"), lname: try body.string("lname"), email: try body.string("email")))
        }
        let body = try await JSONBody.read(request, allowed: ["artist", "songTitle"])
        return .updateMusic(Song(artist: try body.string("artist"), songTitle: try body.string("songTitle")))
    }

    private func create(_ kind: EntityKind, _ action: Action, request: Request, context: EncoreRequestContext) async throws -> Response {
        let id = UUID()
        let command = Command(entityID: id, actor: context.identity, action: action)
        let result = try await services.write(command, request: request, async: Self.respondAsync(request))
        var headers = services.tokenHeader(result)
        headers[.location] = "/api/v2/\(kind.topicSuffix)/\(id.uuidString.lowercased())"
        switch result {
        case .applied(let version, _):
            headers[.eTag] = V2Representation.etag(version)
            let snapshot = EntitySnapshot(kind: kind, id: id, version: version, state: Fold.replay([command])?.state)
            return try JSONResponse.make(.created, V2Representation.resource(snapshot), headers: headers)
        case .accepted(let token):
            return try JSONResponse.make(.accepted, ["id": id.uuidString.lowercased(), "commandId": command.id.uuidString.lowercased(), "consistencyToken": token.description], headers: headers)
        }
    }

    private func modify(
        _ kind: EntityKind, _ id: UUID, _ action: Action, request: Request, context: EncoreRequestContext,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        _ = try await services.reads.live(kind, id)
        let command = Command(entityID: id, actor: context.identity, expectedVersion: try Self.ifMatch(request), action: action)
        let result = try await services.write(command, request: request, async: Self.respondAsync(request))
        var headers = services.tokenHeader(result)
        switch result {
        case .applied(let version, _):
            headers[.eTag] = V2Representation.etag(version)
            guard status != .noContent, let snapshot = try await services.reads.store(for: kind).snapshot(kind, id: id) else {
                return Response(status: status, headers: headers)
            }
            return try JSONResponse.make(status, V2Representation.resource(snapshot), headers: headers)
        case .accepted(let token):
            return try JSONResponse.make(.accepted, ["id": id.uuidString.lowercased(), "commandId": command.id.uuidString.lowercased(), "consistencyToken": token.description], headers: headers)
        }
    }

    private func list(_ kind: EntityKind, request: Request) async throws -> Response {
        let page = try Page(request.uri.queryParameters, cursorName: "cursor")
        let (shown, next) = try await services.reader(for: request).page(kind, page)
        var body: [String: Any] = ["items": shown.map(V2Representation.resource)]
        if let next { body["nextCursor"] = next.uuidString.lowercased() }
        return try JSONResponse.make(.ok, body)
    }

    /// `If-Match: "3"` → expected version 3; `*` or absent → unconditional.
    static func ifMatch(_ request: Request) throws -> Int? {
        guard let value = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), value != "*" else { return nil }
        let digits = value.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let version = Int(digits), version >= 0 else { throw APIError.badRequest("If-Match must be an ETag such as \"3\"") }
        return version
    }

    static func respondAsync(_ request: Request) -> Bool {
        request.headers[.prefer]?.lowercased().contains("respond-async") ?? false
    }
}
