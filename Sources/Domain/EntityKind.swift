/// The three aggregates; each has its own topic and read model.
public enum EntityKind: String, Codable, Sendable, CaseIterable, Hashable {
    case user
    case music
    case playlist

    /// The topic name without the configurable prefix: `users`, `music`, `playlists`.
    public var topicSuffix: String {
        switch self {
        case .user: "users"
        case .music: "music"
        case .playlist: "playlists"
        }
    }

    /// The full topic name, e.g. `encore.users` for prefix `encore`.
    public func topic(prefix: String) -> String { "\(prefix).\(topicSuffix)" }
}
