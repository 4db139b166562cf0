import Foundation
import JWTKit
import Logging
import MetadataKeys

/// Checks an OpenID Connect provider's tokens and names their user: signature against the
/// provider's JWKS, then `exp`, `nbf`, `iss` and `aud`.
struct OIDCVerifier: Sendable {
    /// Asymmetric only, whatever the token's header says: with HMAC accepted, the public key
    /// would be a secret anyone could sign with.
    static let algorithms: Set<String> = ["RS256", "ES256"]

    let issuer: String
    let audience: String
    let userClaim: String
    let keys: JWKSCache
    /// When a client may retry while the provider cannot be read: the refresh bound.
    let refreshSeconds: Int64

    /// Reads the keys once. A file that is not a JWKS refuses the start; an unreachable URL
    /// only warns (the provider may come up later: tokens are refused until a refresh succeeds).
    init(configuration: GatewayConfiguration.OIDC, logger: Logger) async throws {
        let source = try configuration.keySource()
        issuer = configuration.issuer ?? ""
        audience = configuration.audience ?? ""
        userClaim = configuration.userClaim
        refreshSeconds = max(1, configuration.refreshInterval.components.seconds)
        keys = JWKSCache(source: source, refreshInterval: configuration.refreshInterval, maxAge: configuration.keysMaxAge, logger: logger)
        do {
            try await keys.load()
        } catch {
            guard case .url = source else { throw ConfigurationError("\(error)") }
            logger.warning(
                "cannot read the identity provider's keys yet; tokens are refused until they can be",
                metadata: [MetadataKey.error: "\(error)"])
        }
    }

    /// The user the token names; throws a 401 saying what is wrong, never echoing the token.
    func identity(of token: String) async throws -> String {
        guard let header = Header(token) else { throw APIError.unauthorized("the token is not a JWT") }
        guard let alg = header.alg, Self.algorithms.contains(alg) else {
            throw APIError.unauthorized("the token's algorithm is not accepted (RS256 or ES256 only)")
        }
        guard let kid = header.kid else { throw APIError.unauthorized("the token names no key (kid)") }
        let keys: VerificationKeys
        switch await self.keys.lookup(kid) {
        case .found(let found):
            keys = found
        case .unknown:
            throw APIError.unauthorized("the token's key (kid) is not among the identity provider's keys")
        case .unavailable:
            // Not a 401: the token may well be good, and a client told so would drop it.
            throw APIError(
                .serviceUnavailable, "identity_provider_unavailable",
                "the identity provider's keys cannot be read now, and the token's key (kid) is not among those read before",
                headers: [.retryAfter: "\(refreshSeconds)"]
            )
        }
        guard keys.algorithms[kid]?.rawValue == alg else {
            throw APIError.unauthorized("the token's algorithm does not match its key's")
        }
        let claims: OIDCClaims
        do {
            claims = try await keys.collection.verify(token, as: OIDCClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw APIError.unauthorized("the token has expired or is not yet valid")
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw APIError.unauthorized("the token's signature does not verify")
        } catch {
            throw APIError.unauthorized("the token is malformed or lacks iss, aud or exp")
        }
        guard claims.iss.value == issuer else { throw APIError.unauthorized("the token is from another issuer") }
        guard claims.aud.value.contains(audience) else { throw APIError.unauthorized("the token is for another audience") }
        guard let user = claims.strings[userClaim] else {
            throw APIError.unauthorized("the token has no \(userClaim) claim naming the user")
        }
        return user
    }

    /// The two header fields that choose the key, read before any key is used.
    private struct Header: Decodable {
        let alg: String?
        let kid: String?

        init?(_ token: String) {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let data = Self.base64URLDecoded(parts[0]),
                let header = try? JSONDecoder().decode(Header.self, from: data)
            else { return nil }
            self = header
        }

        private static func base64URLDecoded(_ text: Substring) -> Data? {
            var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            return Data(base64Encoded: base64)
        }
    }
}
