import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Locking

@testable import Gateway

/// An OpenID Connect provider for tests: signing keys, the JWKS it publishes (replaceable, to
/// rotate keys) served over HTTP on localhost, and a count of the JWKS fetches it answered.
final class TestIdentityProvider: Sendable {
    static let issuer = "https://idp.example.test"
    static let audience = "encore-api"

    /// Every key the provider can sign with, published or not, by `kid`.
    let signers = JWTKeyCollection()
    private let publicJWKs: Locked<[String: [String: String]]> = Locked([:])
    private let published: Locked<[String]> = Locked([])
    private let fetchCount = Locked(0)
    /// How long the JWKS endpoint takes to answer, so refreshes overlap requests.
    let latency: Duration

    init(latency: Duration = .zero) {
        self.latency = latency
    }

    var fetches: Int { fetchCount.withLock { $0 } }

    /// The JWKS document as served now.
    var document: Data {
        let keys = published.withLock { kids in kids.compactMap { kid in publicJWKs.withLock { $0[kid] } } }
        return try! JSONSerialization.data(withJSONObject: ["keys": keys])
    }

    /// A new 2048-bit RSA key for RS256 under `kid` (openssl, on a Dispatch thread); returns its public PEM.
    @discardableResult
    func addRSAKey(_ kid: String, publishAlg: Bool = true) async throws -> String {
        let pem = try await blocking {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice  // its progress dots
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let key = try Insecure.RSA.PrivateKey(pem: pem)
        await signers.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        let primitives = try key.publicKey.getKeyPrimitives()
        var jwk = [
            "kty": "RSA", "kid": kid, "use": "sig", "n": Self.base64URL(primitives.modulus), "e": Self.base64URL(primitives.publicExponent),
        ]
        if publishAlg { jwk["alg"] = "RS256" }
        publicJWKs.withLock { $0[kid] = jwk }
        return key.publicKey.pemRepresentation
    }

    /// A new P-256 key for ES256 under `kid`; its JWK leaves `alg` out, as some providers do.
    func addES256Key(_ kid: String) async {
        let key = ES256PrivateKey()
        await signers.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        let (x, y) = key.parameters!
        publicJWKs.withLock { $0[kid] = ["kty": "EC", "crv": "P-256", "kid": kid, "x": x, "y": y] }
    }

    /// Publishes exactly these keys (and a symmetric `oct` key, which Encore must never use).
    func publish(_ kids: [String]) {
        publicJWKs.withLock {
            $0["hmac"] = ["kty": "oct", "kid": "hmac", "k": Self.base64URL(Data("a shared secret a provider should not publish".utf8))]
        }
        published.withLock { $0 = kids + ["hmac"] }
    }

    func token(kid: String, _ claims: OIDCClaims) async throws -> String {
        try await signers.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// A token with this header and payload and a signature of junk: what an attacker sends.
    static func forged(header: [String: String], _ claims: OIDCClaims) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let encoded = [try JSONSerialization.data(withJSONObject: header), try encoder.encode(claims)].map(base64URL)
        return encoded.joined(separator: ".") + "." + base64URL(Data("not a signature".utf8))
    }

    static func claims(
        sub: String, issuer: String = issuer, audience: [String] = [audience], expiresIn: TimeInterval = 3600,
        notBefore: TimeInterval? = nil,
        extra: [String: String] = [:]
    ) -> OIDCClaims {
        let now = Date()
        return OIDCClaims(
            iss: IssuerClaim(value: issuer), aud: AudienceClaim(value: audience),
            exp: ExpirationClaim(value: now.addingTimeInterval(expiresIn)),
            nbf: notBefore.map { NotBeforeClaim(value: now.addingTimeInterval($0)) },
            strings: extra.merging(["sub": sub]) { kept, _ in kept }
        )
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
            of: "=", with: "")
    }

    /// Runs `body` with the URL of this provider's JWKS, served on a free port of localhost (where HummingbirdTesting binds).
    func serve(_ body: @Sendable (_ jwksURL: String) async throws -> Void) async throws {
        let router = Router()
        router.get("jwks.json") { _, _ -> Response in
            self.fetchCount.withLock { $0 += 1 }
            if self.latency > .zero { try await Task.sleep(for: self.latency) }
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: self.document)))
        }
        try await Application(router: router).test(.live) { client in
            try await body("http://localhost:\(client.port!)/jwks.json")
        }
    }
}
