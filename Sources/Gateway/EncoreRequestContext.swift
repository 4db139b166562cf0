import Hummingbird
import Logging

/// Per-request state: Hummingbird's core plus who is calling.
public struct EncoreRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user id (JWT `sub`); nil in `legacy` and `none` modes.
    public var identity: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
    }

    /// Bodies are read with an explicit 1 MiB limit per route; this caps anything else.
    public var maxUploadSize: Int { JSONBody.maxSize }
}
