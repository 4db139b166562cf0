import AsyncHTTPClient
import Foundation
import Locking

/// Where an `oidc` gateway reads the identity provider's JSON Web Key Set.
enum JWKSSource: Sendable, CustomStringConvertible {
    case url(URL)
    case file(String)

    /// Larger than any real key set; a bound so a misconfigured URL cannot fill memory.
    static let maximumSize = 1 << 20

    var description: String {
        switch self {
        case .url(let url): url.absoluteString
        case .file(let path): path
        }
    }

    /// The document's bytes, without occupying the cooperative pool: HTTP runs on
    /// AsyncHTTPClient's event loops, the file is read on a Dispatch thread.
    func load() async throws -> Data {
        switch self {
        case .url(let url):
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            guard response.status == .ok else {
                throw JWKSError("\(url.absoluteString) answered \(response.status.code)")
            }
            return Data(try await response.body.collect(upTo: Self.maximumSize).readableBytesView)
        case .file(let path):
            return try await blocking {
                do {
                    return try Data(contentsOf: URL(fileURLWithPath: path))
                } catch {
                    throw JWKSError("cannot read the JWKS file \(path): \((error as NSError).localizedDescription)")
                }
            }
        }
    }
}

/// The key set could not be fetched or read; the message names the source, never a token.
struct JWKSError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension GatewayConfiguration.OIDC {
    /// The one configured key source; throws ``ConfigurationError`` when there is none, both,
    /// a URL that is not http(s), or a file that cannot be read.
    func keySource() throws -> JWKSSource {
        switch (jwksURL.flatMap { $0.isEmpty ? nil : $0 }, jwksFile.flatMap { $0.isEmpty ? nil : $0 }) {
        case (nil, nil):
            throw ConfigurationError(
                "auth mode oidc needs the provider's keys: set --jwks-url (ENCORE_JWKS_URL) or --jwks-file (ENCORE_JWKS_FILE)"
            )
        case (.some, .some):
            throw ConfigurationError("set only one of --jwks-url (ENCORE_JWKS_URL) and --jwks-file (ENCORE_JWKS_FILE)")
        case (let text?, nil):
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased()), url.host?.isEmpty == false else {
                throw ConfigurationError("--jwks-url (ENCORE_JWKS_URL) must be an http:// or https:// URL, not \(text)")
            }
            return .url(url)
        case (nil, let path?):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isReadableFile(atPath: path)
            else {
                throw ConfigurationError("cannot read the JWKS file \(path) (--jwks-file, ENCORE_JWKS_FILE)")
            }
            return .file(path)
        }
    }
}
