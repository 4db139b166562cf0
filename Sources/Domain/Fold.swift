/// Why a command was not applied. The raw value is the stable, machine-readable reason.
public enum Rejection: String, Sendable, Hashable, Codable, Error {
    case alreadyExists = "already-exists"
    case deleted = "deleted"
    case notFound = "not-found"
    case versionMismatch = "version-mismatch"
    case duplicateSong = "duplicate-song"
    case songNotInPlaylist = "song-not-in-playlist"

    /// A sentence for API error details.
    public var explanation: String {
        switch self {
        case .alreadyExists: "an entity with this id already exists"
        case .deleted: "the entity was deleted; its id cannot be reused"
        case .notFound: "no entity with this id exists"
        case .versionMismatch: "the entity's version does not match the expected version"
        case .duplicateSong: "the song is already in the playlist"
        case .songNotInPlaylist: "the song is not in the playlist"
        }
    }
}

/// The result of folding one command into its entity.
public enum FoldOutcome: Sendable, Hashable {
    case applied(EntitySnapshot)
    case rejected(Rejection)
}

/// The pure fold: an entity's next state depends only on its current state and the command.
///
/// Replaying an entity's records in log order therefore always rebuilds the same snapshot,
/// rejections included.
public enum Fold {
    /// Applies `command` to `current` (nil: the id was never seen).
    public static func apply(_ command: Command, to current: EntitySnapshot?) -> FoldOutcome {
        let version = current?.version ?? 0
        if let expected = command.expectedVersion, expected != version {
            return .rejected(.versionMismatch)
        }
        switch command.action {
        case .createUser(let user):
            return create(.user(user), command, current)
        case .createMusic(let song):
            return create(.music(song), command, current)
        case .createPlaylist(let playlist):
            return create(.playlist(playlist), command, current)
        case .updateUser(let user):
            return modify(command, current) { _ in .success(.user(user)) }
        case .updateMusic(let song):
            return modify(command, current) { _ in .success(.music(song)) }
        case .renamePlaylist(let name):
            return modifyPlaylist(command, current) { playlist in
                playlist.name = name
                return nil
            }
        case .addSong(let song):
            return modifyPlaylist(command, current) { playlist in
                guard !playlist.songs.contains(song) else { return .duplicateSong }
                playlist.songs.append(song)
                return nil
            }
        case .removeSong(let song):
            return modifyPlaylist(command, current) { playlist in
                guard let index = playlist.songs.firstIndex(of: song) else { return .songNotInPlaylist }
                playlist.songs.remove(at: index)
                return nil
            }
        case .deleteUser, .deleteMusic, .deletePlaylist:
            guard let current, !current.isDeleted else { return .rejected(current == nil ? .notFound : .deleted) }
            return .applied(EntitySnapshot(kind: command.kind, id: command.entityID, version: version + 1, state: nil))
        }
    }

    /// Folds a sequence of commands for one entity, from nothing.
    public static func replay(_ commands: some Sequence<Command>) -> EntitySnapshot? {
        commands.reduce(nil) { current, command in
            if case .applied(let next) = apply(command, to: current) { return next }
            return current
        }
    }

    private static func create(_ state: EntityState, _ command: Command, _ current: EntitySnapshot?) -> FoldOutcome {
        if let current { return .rejected(current.isDeleted ? .deleted : .alreadyExists) }
        return .applied(EntitySnapshot(kind: command.kind, id: command.entityID, version: 1, state: state))
    }

    private static func modify(
        _ command: Command,
        _ current: EntitySnapshot?,
        _ change: (EntityState) -> Result<EntityState, Rejection>
    ) -> FoldOutcome {
        guard let current, let state = current.state else { return .rejected(.notFound) }
        switch change(state) {
        case .success(let next):
            return .applied(EntitySnapshot(kind: current.kind, id: current.id, version: current.version + 1, state: next))
        case .failure(let rejection):
            return .rejected(rejection)
        }
    }

    private static func modifyPlaylist(
        _ command: Command,
        _ current: EntitySnapshot?,
        _ change: @escaping (inout Playlist) -> Rejection?
    ) -> FoldOutcome {
        modify(command, current) { state in
            guard case .playlist(var playlist) = state else { return .failure(.notFound) }
            if let rejection = change(&playlist) { return .failure(rejection) }
            return .success(.playlist(playlist))
        }
    }
}
