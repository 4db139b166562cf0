import Foundation
import HTTPTypes
import Hummingbird

/// Which browser origins may call the API from their pages (CORS, as the Fetch standard
/// defines it). Empty: none, browsers keep pages to their own origin; `*`: any.
public struct CrossOriginPolicy: Sendable, Equatable {
    /// Serialized origins (`scheme://host[:port]`, lowercase), or `["*"]`.
    public let origins: [String]

    /// Fails naming the first entry that is not `*` or an origin; `*` stands alone.
    public init(_ entries: [String]) throws {
        let trimmed = entries.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if trimmed.contains("*") {
            guard trimmed.count == 1 else {
                throw ConfigurationError("--cors-origins (ENCORE_CORS_ORIGINS): * allows every origin and stands alone")
            }
            self.init(validated: ["*"])
            return
        }
        self.init(
            validated: try trimmed.map { entry in
                guard let origin = Self.serialized(entry) else {
                    throw ConfigurationError(
                        "--cors-origins (ENCORE_CORS_ORIGINS): \(entry) is not an origin (scheme://host[:port], no path), nor *")
                }
                return origin
            })
    }

    /// No origin but the gateway's own.
    public static let none = CrossOriginPolicy(validated: [])

    private init(validated origins: [String]) { self.origins = origins }

    var allowsAny: Bool { origins == ["*"] }
    var isEmpty: Bool { origins.isEmpty }

    /// The `Access-Control-Allow-Origin` value for a request's `Origin`, nil when not allowed.
    func allowedOrigin(for origin: String) -> String? {
        if allowsAny { return "*" }
        return origins.contains(origin.lowercased()) ? origin : nil
    }

    /// The origin as browsers send it in `Origin`; nil for anything with a path, query or user.
    private static func serialized(_ text: String) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty, url.user == nil, url.password == nil,
            url.path.isEmpty, url.query == nil, url.fragment == nil
        else { return nil }
        // Browsers leave the scheme's default port out of Origin.
        let port = url.port.flatMap { (scheme, $0) == ("http", 80) || (scheme, $0) == ("https", 443) ? nil : $0 }
        return "\(scheme)://\(host.lowercased())" + (port.map { ":\($0)" } ?? "")
    }
}

/// Answers CORS preflights and marks every response to an allowed origin as readable by it —
/// errors included, so a page sees a `401` or `429` rather than an opaque network failure. It
/// runs before authentication: a preflight carries no credentials by design.
struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CrossOriginPolicy

    /// What pages may send beyond the CORS-safelisted headers.
    static var requestHeaders: String {
        "Authorization, Content-Type, If-Match, Prefer, Last-Event-ID, X-Consistency-Token, X-Request-Id, traceparent"
    }
    /// What pages may read beyond the CORS-safelisted response headers.
    static var exposedHeaders: String { "ETag, Location, Retry-After, WWW-Authenticate, X-Consistency-Token, X-Request-Id" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !policy.isEmpty else { return try await next(request, context) }
        guard let origin = request.headers[.origin], let allowed = policy.allowedOrigin(for: origin) else {
            var response = try await next(request, context)
            response.headers.append(Self.vary)
            return response
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = Self.allow(allowed)
            headers[.accessControlAllowMethods] = "GET, POST, PUT, DELETE"
            headers[.accessControlAllowHeaders] = Self.requestHeaders
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers.append(contentsOf: Self.allow(allowed))
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        return response
    }

    /// A cache must not serve one origin's answer to another (the allowed origin is echoed).
    private static var vary: HTTPField { HTTPField(name: .vary, value: "Origin") }

    private static func allow(_ origin: String) -> HTTPFields {
        var headers: HTTPFields = [.accessControlAllowOrigin: origin]
        headers.append(vary)
        return headers
    }
}
