import Foundation
import JWTKit

/// The claims of a provider's token Encore reads. `iss`, `aud` and `exp` are required (a token
/// without them does not decode); `nbf` is checked when present. Every string claim is kept by
/// name, so the claim naming the user is configurable (`--user-claim`).
struct OIDCClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    /// Every string-valued claim (`sub`, `iss`, `email`, …) by name.
    var strings: [String: String]

    init(iss: IssuerClaim, aud: AudienceClaim, exp: ExpirationClaim, nbf: NotBeforeClaim? = nil, strings: [String: String]) {
        self.iss = iss
        self.aud = aud
        self.exp = exp
        self.nbf = nbf
        self.strings = strings
    }

    private struct Name: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Name.self)
        iss = try container.decode(IssuerClaim.self, forKey: Name("iss"))
        aud = try container.decode(AudienceClaim.self, forKey: Name("aud"))
        exp = try container.decode(ExpirationClaim.self, forKey: Name("exp"))
        nbf = try container.decodeIfPresent(NotBeforeClaim.self, forKey: Name("nbf"))
        strings = container.allKeys.reduce(into: [:]) { strings, key in
            if let value = try? container.decode(String.self, forKey: key) { strings[key.stringValue] = value }
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Name.self)
        for (name, value) in strings { try container.encode(value, forKey: Name(name)) }
        try container.encode(iss, forKey: Name("iss"))
        try container.encode(aud, forKey: Name("aud"))
        try container.encode(exp, forKey: Name("exp"))
        try container.encodeIfPresent(nbf, forKey: Name("nbf"))
    }

    /// How far the provider's clock and ours may disagree: `exp` and `nbf` are checked with this
    /// much slack, as identity libraries commonly do.
    static let clockSkew: TimeInterval = 60

    func verify(using algorithm: some JWTAlgorithm) async throws {
        let now = Date()
        try exp.verifyNotExpired(currentDate: now.addingTimeInterval(-Self.clockSkew))
        try nbf?.verifyNotBefore(currentDate: now.addingTimeInterval(Self.clockSkew))
    }
}
