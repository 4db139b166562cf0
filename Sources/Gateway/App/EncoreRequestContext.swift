import Foundation
import Hummingbird
import Logging

/// Per-request state: Hummingbird's core plus who is calling.
public struct EncoreRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated user id (JWT `sub`); nil in `legacy` and `none` modes.
    public var identity: String?
    /// The peer's IP address, which the write rate limit keys on when there is no identity.
    public let clientAddress: String?
    /// Closes the connection: how a change feed drops a client that stopped reading.
    let closeConnection: @Sendable () -> Void

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        clientAddress = source.channel.remoteAddress?.ipAddress
        closeConnection = { [channel = source.channel] in channel.close(promise: nil) }
    }

    /// Who the per-client limits count against: the token's user when there is one, else the
    /// peer's address (behind a proxy every client shares the proxy's address, so limit there or
    /// give each client a token).
    var client: String { identity.map { "user:\($0)" } ?? "address:\(clientAddress ?? "unknown")" }

    /// Bodies are read with an explicit 1 MiB limit; this caps anything else.
    public var maxUploadSize: Int { RequestBodyDecoder.maxSize }

    public var requestDecoder: RequestBodyDecoder { RequestBodyDecoder() }

    public var responseEncoder: JSONEncoder { Self.makeResponseEncoder() }

    /// Sorted keys: the same resource is always the same bytes.
    static func makeResponseEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
