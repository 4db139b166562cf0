import Domain
import Foundation
import Hummingbird

/// The original system's v1 API, unchanged for its clients: users, music, playlists.
///
/// Writes answer once the command was applied to the read model (bounded wait; 202 with the
/// consistency token on timeout), so a read straight after a write sees it.
struct V1Routes {
    let services: GatewayServices

    func users() -> RouteCollection<EncoreRequestContext> {
        let routes = RouteCollection(context: EncoreRequestContext.self)
        routes.put("login") { request, _ in try await login(request) }
        routes.put("logoff") { request, _ in
            let body = try await JSONBody.read(request, allowed: ["jwt"])
            _ = try body.string("jwt")
            return try JSONResponse.make(.ok, [String: Any]())
        }
        routes.post { request, context in
            let user = try await userBody(request)
            return try await create(.user, .createUser(user), request: request, context: context)
        }
        routes.put(":id") { request, context in
            let id = try context.parameters.uuid("id")
            let user = try await userBody(request)
            return try await modify(.user, id, .updateUser(user), request: request, context: context)
        }
        routes.delete(":id") { request, context in
            try await modify(.user, try context.parameters.uuid("id"), .deleteUser, request: request, context: context)
        }
        routes.get(":id") { request, context in try await read(.user, request: request, context: context) }
        return routes
    }

    func music() -> RouteCollection<EncoreRequestContext> {
        let routes = RouteCollection(context: EncoreRequestContext.self)
        routes.post { request, context in
            let body = try await JSONBody.read(request, allowed: ["Artist", "SongTitle"])
            let song = Song(artist: try body.string("Artist"), songTitle: try body.string("SongTitle"))
            return try await create(.music, .createMusic(song), request: request, context: context)
        }
        routes.get { request, context in try await list(.music, request: request, context: context) }
        routes.get(":id") { request, context in try await read(.music, request: request, context: context) }
        routes.delete(":id") { request, context in
            try await modify(.music, try context.parameters.uuid("id"), .deleteMusic, request: request, context: context)
        }
        return routes
    }

    func playlists() -> RouteCollection<EncoreRequestContext> {
        let routes = RouteCollection(context: EncoreRequestContext.self)
        routes.post { request, context in
            let body = try await JSONBody.read(request, allowed: ["Name", "Playlist"])
            let songs = try Self.songList(body.has("Playlist") ? try body.string("Playlist") : "")
            try await services.reads.requireSongs(songs)
            let playlist = Playlist(name: try body.string("Name"), songs: songs)
            return try await create(.playlist, .createPlaylist(playlist), request: request, context: context)
        }
        routes.get { request, context in try await list(.playlist, request: request, context: context) }
        routes.get(":id") { request, context in try await read(.playlist, request: request, context: context) }
        routes.delete(":id") { request, context in
            try await modify(.playlist, try context.parameters.uuid("id"), .deletePlaylist, request: request, context: context)
        }
        routes.post(":id/add") { request, context in
            let id = try context.parameters.uuid("id")
            let song = try await JSONBody.read(request, allowed: ["music_id"]).uuid("music_id")
            try await services.reads.requireSongs([song])
            if case .playlist(let playlist)? = try await services.reads.live(.playlist, id).state, playlist.songs.contains(song) {
                throw APIError.rejected(.duplicateSong)
            }
            return try await modify(.playlist, id, .addSong(song), request: request, context: context)
        }
        routes.post(":id/delete") { request, context in
            let id = try context.parameters.uuid("id")
            let song = try await JSONBody.read(request, allowed: ["music_id"]).uuid("music_id")
            if case .playlist(let playlist)? = try await services.reads.live(.playlist, id).state, !playlist.songs.contains(song) {
                throw APIError.rejected(.songNotInPlaylist)
            }
            return try await modify(.playlist, id, .removeSong(song), request: request, context: context)
        }
        return routes
    }

    // MARK: shared flows

    private func userBody(_ request: Request) async throws -> User {
        let body = try await JSONBody.read(request, allowed: ["fname", "lname", "email"])
        return User(fname: try body.string("fname"), lname: try body.string("lname"), email: try body.string("email"))
    }

    /// `"id1,id2"` (the original's playlist format) to ids; empty means none.
    static func songList(_ text: String) throws -> [UUID] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return [] }
        return try trimmed.split(separator: ",").map { part in
            guard let id = UUID(uuidString: part.trimmingCharacters(in: .whitespaces)) else {
                throw APIError.badRequest("Playlist must be a comma-separated list of song UUIDs")
            }
            return id
        }
    }

    private func create(_ kind: EntityKind, _ action: Action, request: Request, context: EncoreRequestContext) async throws -> Response {
        let id = UUID()
        let result = try await services.write(Command(entityID: id, actor: context.identity, action: action), request: request)
        var body: [String: Any] = [V1Representation.idField(kind): id.uuidString.lowercased()]
        return try respond(result, body: &body)
    }

    private func modify(_ kind: EntityKind, _ id: UUID, _ action: Action, request: Request, context: EncoreRequestContext) async throws -> Response {
        _ = try await services.reads.live(kind, id)
        let result = try await services.write(Command(entityID: id, actor: context.identity, action: action), request: request)
        var body: [String: Any] = [V1Representation.idField(kind): id.uuidString.lowercased()]
        return try respond(result, body: &body)
    }

    private func respond(_ result: GatewayServices.WriteResult, body: inout [String: Any]) throws -> Response {
        switch result {
        case .applied:
            return try JSONResponse.make(.ok, body, headers: services.tokenHeader(result))
        case .accepted(let token):
            body["consistency_token"] = token.description
            return try JSONResponse.make(.accepted, body, headers: services.tokenHeader(result))
        }
    }

    private func read(_ kind: EntityKind, request: Request, context: EncoreRequestContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let snapshot = try await services.reader(for: request).live(kind, id)
        return try JSONResponse.make(.ok, V1Representation.items([snapshot], kind: kind))
    }

    private func list(_ kind: EntityKind, request: Request, context: EncoreRequestContext) async throws -> Response {
        let page = try Page(request.uri.queryParameters, cursorName: "after")
        let (shown, next) = try await services.reader(for: request).page(kind, page)
        return try JSONResponse.make(.ok, V1Representation.items(shown, next: next, kind: kind))
    }

    private func login(_ request: Request) async throws -> Response {
        guard services.configuration.loginByID else {
            throw APIError(.forbidden, "login_disabled", "this gateway does not issue tokens by user id; get one from the identity provider")
        }
        let uid = try await JSONBody.read(request, allowed: ["uid"]).uuid("uid")
        _ = try await services.reads.live(.user, uid)
        let token = try await services.authenticator.issue(for: uid)
        // The original answered the bare token as the body.
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: token)))
    }
}

/// `limit` (1…1000, default 100) and a cursor query parameter.
struct Page {
    var limit: Int
    var after: UUID?

    init(_ query: Parameters, cursorName: String) throws {
        if let text = query.get("limit") {
            guard let limit = Int(text), (1...1000).contains(limit) else { throw APIError.badRequest("limit must be an integer from 1 to 1000") }
            self.limit = limit
        } else {
            limit = 100
        }
        if let text = query.get(cursorName) {
            guard let id = UUID(uuidString: text) else { throw APIError.badRequest("\(cursorName) must be a UUID") }
            after = id
        }
    }
}
