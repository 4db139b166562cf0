import Foundation
import JWTKit
import Logging
import MetadataKeys

/// The provider's keys Encore verifies with: RSA keys for RS256 and P-256 keys for ES256, each
/// with a `kid`. Everything else in the set (encryption keys, other algorithms, keys without a
/// `kid`, key material jwt-kit refuses) is left out, so no token header can make Encore verify
/// with HMAC, `none` or an algorithm the provider did not publish.
struct VerificationKeys: Sendable {
    /// The algorithm each accepted `kid` verifies with.
    let algorithms: [String: JWK.Algorithm]
    /// Holds exactly the accepted keys, each under its `kid`.
    let collection: JWTKeyCollection

    static let empty = VerificationKeys(algorithms: [:], collection: JWTKeyCollection())

    private init(algorithms: [String: JWK.Algorithm], collection: JWTKeyCollection) {
        self.algorithms = algorithms
        self.collection = collection
    }

    /// Reads a JWKS document (`{"keys": [...]}`); throws only when it is not one at all.
    init(jwks data: Data, source: JWKSSource, logger: Logger) async throws {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw JWKSError("\(source) is not a JWKS document ({\"keys\": [...]})")
        }
        let collection = JWTKeyCollection()
        var algorithms: [String: JWK.Algorithm] = [:]
        for entry in document.keys {
            guard let key = entry.verificationKey, let kid = key.keyIdentifier?.string, let algorithm = key.algorithm else { continue }
            do {
                try await collection.add(jwk: key)
                algorithms[kid] = algorithm
            } catch {
                logger.warning(
                    "JWKS key left out: jwt-kit refuses its key material",
                    metadata: [MetadataKey.kid: "\(kid)", MetadataKey.source: "\(source)", MetadataKey.error: "\(error)"])
            }
        }
        logger.debug(
            "JWKS read",
            metadata: [
                MetadataKey.source: "\(source)", MetadataKey.keys: "\(document.keys.count)", MetadataKey.accepted: "\(algorithms.count)",
            ])
        self.init(algorithms: algorithms, collection: collection)
    }

    private struct Document: Decodable {
        let keys: [Entry]
    }

    /// One key of the set; a key jwt-kit cannot decode (an unknown `kty`) is kept as nil, so it
    /// does not make the whole set unreadable.
    private struct Entry: Decodable {
        let key: JWK?
        let use: String?

        private enum CodingKeys: String, CodingKey { case use }

        init(from decoder: any Decoder) throws {
            key = try? JWK(from: decoder)
            use = try? decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .use)
        }

        /// The key with its algorithm made explicit (a JWK may omit `alg`), if Encore accepts it.
        var verificationKey: JWK? {
            guard var key, key.keyIdentifier != nil, use == nil || use == "sig" else { return nil }
            switch key.keyType {
            case .rsa where key.algorithm == nil || key.algorithm == .rs256:
                key.algorithm = .rs256
            case .ecdsa where key.curve == .ecdsa(.p256) && (key.algorithm == nil || key.algorithm == .es256):
                key.algorithm = .es256
            default:
                return nil
            }
            return key
        }
    }
}
