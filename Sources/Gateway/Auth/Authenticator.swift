import Domain
import Foundation
import Hummingbird
import JWTKit
import Logging

/// Issues and checks credentials according to the configured ``GatewayConfiguration/AuthMode``.
final class Authenticator: Sendable {
    let mode: GatewayConfiguration.AuthMode
    private let keys: JWTKeyCollection
    private let lifetime: Duration
    /// Set in `oidc` mode only.
    private let oidc: OIDCVerifier?

    /// Claims of an Encore session token. `nbf` is optional: Encore does not set it, but a
    /// token minted elsewhere with the same secret may.
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var iat: IssuedAtClaim
        var nbf: NotBeforeClaim?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
            try nbf?.verifyNotBefore()
        }
    }

    /// Fails in `jwt` mode without a usable secret, in `oidc` mode without a usable provider
    /// configuration or key file (see ``GatewayConfiguration/validate()``).
    init(configuration: GatewayConfiguration, logger: Logger) async throws {
        try configuration.validate()
        mode = configuration.authMode
        lifetime = configuration.tokenLifetime
        keys = JWTKeyCollection()
        if mode == .jwt, let secret = configuration.jwtSecret {
            await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        }
        if mode == .oidc {
            oidc = try await OIDCVerifier(configuration: configuration.oidc, logger: logger)
        } else {
            oidc = nil
        }
    }

    /// A signed token for `userID` (jwt mode); an opaque marker otherwise (never called in
    /// `oidc` mode: login refuses first).
    func issue(for userID: UUID) async throws -> String {
        guard mode == .jwt else { return "legacy-\(userID.uuidString.lowercased())" }
        let now = Date()
        return try await keys.sign(
            Claims(
                sub: SubjectClaim(value: userID.uuidString.lowercased()),
                exp: ExpirationClaim(value: now.addingTimeInterval(Double(lifetime.components.seconds))),
                iat: IssuedAtClaim(value: now)
            ))
    }

    /// The caller's identity from its credential (see `credential(_:)`); throws 401 when it is not acceptable.
    func identify(_ request: Request) async throws -> String? {
        switch mode {
        case .none:
            return nil
        case .legacy:
            guard Self.credential(request) != nil else {
                throw APIError.unauthorized("an Authorization header is required")
            }
            // The header may be a real credential: never let it reach the log as the actor.
            return nil
        case .jwt:
            let token = try Self.bearerToken(request, issuedBy: "PUT /api/v1/user/login issues one")
            do {
                return try await keys.verify(token, as: Claims.self).sub.value
            } catch {
                throw APIError.unauthorized("the token is invalid or expired")
            }
        case .oidc:
            guard let oidc else { preconditionFailure("init makes the verifier in oidc mode") }
            return try await oidc.identity(of: try Self.bearerToken(request, issuedBy: "the identity provider issues one"))
        }
    }

    /// The token of the credential. The scheme name is case-insensitive (RFC 9110); a bare token
    /// is accepted as the original clients sent one.
    private static func bearerToken(_ request: Request, issuedBy issuer: String) throws -> String {
        guard let credential = credential(request) else {
            throw APIError.unauthorized("an Authorization: Bearer <token> header is required (\(issuer))")
        }
        return credential.lowercased().hasPrefix("bearer ") ? String(credential.dropFirst(7)) : credential
    }

    /// The `Authorization` header; on an event stream (`GET …/events`) without one, the
    /// `access_token` query parameter instead (RFC 6750 §2.3), because a browser's `EventSource`
    /// cannot send headers. Nowhere else: URLs end up in logs and histories.
    private static func credential(_ request: Request) -> String? {
        if let header = request.headers[.authorization], !header.isEmpty { return header }
        guard request.method == .get, request.uri.path.hasSuffix("/events"),
            let token = request.uri.queryParameters["access_token"], !token.isEmpty
        else { return nil }
        return String(token)
    }
}

/// Requires a credential on every route except the public ones (login, registration,
/// health, readiness, metrics, lag, the dashboard, the OpenAPI document).
///
/// A valid token whose user is gone (deleted, or never projected) is refused like a bad one:
/// deleting a user ends their sessions.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = EncoreRequestContext
    let authenticator: Authenticator
    let reads: ReadService

    static func isPublic(_ request: Request) -> Bool {
        let path = request.uri.path
        if ["/health", "/ready", "/metrics", "/openapi.json", "/lag", "/dashboard"].contains(path) { return true }
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        switch (request.method, trimmed) {
        case (.put, "/api/v1/user/login"), (.put, "/api/v1/user/logoff"), (.post, "/api/v1/user"), (.post, "/api/v2/users"):
            return true
        default:
            return false
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.isPublic(request) else { return try await next(request, context) }
        var context = context
        context.identity = try await authenticator.identify(request)
        if let identity = context.identity {
            guard let user = UUID(uuidString: identity),
                let snapshot = try await reads.store(for: .user).snapshot(.user, id: user), !snapshot.isDeleted
            else {
                throw APIError.unauthorized("the token's user does not exist (deleted users' tokens are no longer valid)")
            }
            // Actors are compared with lowercase entity ids; a provider may spell the UUID in capitals.
            context.identity = user.lowercasedString
        }
        return try await next(request, context)
    }
}

/// A configuration that cannot work; the process refuses to start with this message.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
