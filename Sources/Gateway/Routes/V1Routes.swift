import Domain
import Foundation
import Hummingbird

/// The original system's v1 API, unchanged for its clients: users, music, playlists.
///
/// Writes answer `200` only once the command was applied to the read model, so a read straight
/// after a write sees it, as the original's did. A write no projector could apply is refused
/// before the append (`503`); one appended but not applied within the wait answers `504` with
/// its consistency token: never a success the client cannot read back.
struct V1Routes {
    let services: GatewayServices

    func users() -> RouteCollection<EncoreRequestContext> {
        let routes = RouteCollection(context: EncoreRequestContext.self)
        routes.put("login") { request, context in try await login(request, context: context) }
        routes.put("logoff") { request, context in
            _ = try await request.decode(as: V1.Logoff.self, context: context)
            return V1.Empty()
        }
        routes.post { request, context in
            let user = try await request.decode(as: UserBody.self, context: context).user
            return try await create(.user, .createUser(user), request: request, context: context)
        }
        routes.put(":id") { request, context in
            let id = try context.parameters.uuid("id")
            let user = try await request.decode(as: UserBody.self, context: context).user
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
            let song = try await request.decode(as: SongBody<V1>.self, context: context).song
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
            let body = try await request.decode(as: V1.PlaylistBody.self, context: context)
            try await services.reads.requireSongs(body.songs)
            let playlist = Playlist(name: body.name, songs: body.songs)
            return try await create(.playlist, .createPlaylist(playlist), request: request, context: context)
        }
        routes.get { request, context in try await list(.playlist, request: request, context: context) }
        routes.get(":id") { request, context in try await read(.playlist, request: request, context: context) }
        routes.delete(":id") { request, context in
            try await modify(.playlist, try context.parameters.uuid("id"), .deletePlaylist, request: request, context: context)
        }
        routes.post(":id/add") { request, context in
            let id = try context.parameters.uuid("id")
            let song = try await request.decode(as: SongReference<V1>.self, context: context).song
            try await services.reads.requireSongs([song])
            if case .playlist(let playlist)? = try await services.reads.live(.playlist, id).state, playlist.songs.contains(song) {
                throw APIError.rejected(.duplicateSong)
            }
            return try await modify(.playlist, id, .addSong(song), request: request, context: context)
        }
        routes.post(":id/delete") { request, context in
            let id = try context.parameters.uuid("id")
            let song = try await request.decode(as: SongReference<V1>.self, context: context).song
            if case .playlist(let playlist)? = try await services.reads.live(.playlist, id).state, !playlist.songs.contains(song) {
                throw APIError.rejected(.songNotInPlaylist)
            }
            return try await modify(.playlist, id, .removeSong(song), request: request, context: context)
        }
        return routes
    }

    // MARK: shared flows

    private func create(_ kind: EntityKind, _ action: Action, request: Request, context: EncoreRequestContext) async throws -> Response {
        let id = UUID()
        let result = try await services.write(
            Command(entityID: id, actor: context.identity, action: action), request: request, needsProjector: true)
        return try respond(result, V1.WriteAnswer(kind: kind, id: id), request: request, context: context)
    }

    private func modify(_ kind: EntityKind, _ id: UUID, _ action: Action, request: Request, context: EncoreRequestContext) async throws
        -> Response
    {
        _ = try await services.reads.live(kind, id)
        let result = try await services.write(
            Command(entityID: id, actor: context.identity, action: action), request: request, needsProjector: true)
        return try respond(result, V1.WriteAnswer(kind: kind, id: id), request: request, context: context)
    }

    private func respond(
        _ result: GatewayServices.WriteResult, _ answer: V1.WriteAnswer, request: Request, context: EncoreRequestContext
    ) throws -> Response {
        guard case .applied = result else { throw APIError.notApplied(result.token, wait: services.configuration.syncWriteTimeout) }
        return try answer.answer(.ok, headers: services.tokenHeader(result)).response(from: request, context: context)
    }

    private func read(_ kind: EntityKind, request: Request, context: EncoreRequestContext) async throws -> V1.Items {
        let id = try context.parameters.uuid("id")
        let snapshot = try await services.reader(for: request, context: context).live(kind, id)
        return V1.Items([snapshot], kind: kind)
    }

    private func list(_ kind: EntityKind, request: Request, context: EncoreRequestContext) async throws -> V1.Items {
        let page = try Page(request.uri.queryParameters, cursorName: "after")
        let (shown, next) = try await services.reader(for: request, context: context).page(kind, page)
        return V1.Items(shown, next: next, kind: kind)
    }

    private func login(_ request: Request, context: EncoreRequestContext) async throws -> Response {
        // The same answer as with login by id turned off, so clients handle one refusal.
        guard services.configuration.authMode != .oidc else {
            throw APIError(
                .forbidden, "login_disabled", "this gateway does not issue tokens (--auth oidc); get one from the identity provider")
        }
        guard services.configuration.loginByID else {
            throw APIError(
                .forbidden, "login_disabled", "this gateway does not issue tokens by user id; get one from the identity provider")
        }
        let uid = try await request.decode(as: V1.Login.self, context: context).uid
        _ = try await services.reads.live(.user, uid)
        let token = try await services.authenticator.issue(for: uid)
        // The original answered the bare token as the body.
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: token)))
    }
}

/// `limit` (1…1000, default 100) and a cursor query parameter.
struct Page {
    var limit: Int
    var after: UUID?

    init(_ query: Parameters, cursorName: String) throws {
        if let text = query.get("limit") {
            guard let limit = Int(text), (1...1000).contains(limit) else {
                throw APIError.badRequest("limit must be an integer from 1 to 1000")
            }
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
