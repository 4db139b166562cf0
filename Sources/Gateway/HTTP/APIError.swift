import Domain
import Foundation
import Hummingbird
import MetadataKeys
import NIOCore
import Store

/// Every error the API answers, with a 4xx/5xx status: under `/api/v2` an RFC 9457 problem
/// (`application/problem+json`: `type`, `title`, `status`, `detail`, and `error`, the code);
/// elsewhere (v1, operations) JSON `{"error": code, "detail": sentence}`, as the original
/// clients read it.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A short machine-readable code in snake case, e.g. `not_found`; stable, so clients may
    /// match on it.
    public var code: String
    public var detail: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        guard APIVersionOfPath(request.uri.path) == .v2 else {
            return try Body(error: code, detail: detail).answer(status, headers: headers).response(from: request, context: context)
        }
        let problem = Problem(
            type: "urn:encore:error:\(code)", title: status.reasonPhrase, status: status.code, detail: detail, error: code)
        var headers = headers
        headers[.contentType] = "application/problem+json"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(problem))))
    }

    /// What a v1 client reads.
    struct Body: ResponseEncodable {
        let error: String
        let detail: String
    }

    /// What a v2 client reads (RFC 9457). `type` names the code as a URN, since the problem
    /// types are documented in `openapi.json` rather than at URLs of their own.
    struct Problem: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let error: String
    }

    static func badRequest(_ detail: String) -> APIError { APIError(.badRequest, "bad_request", detail) }
    static func notFound(_ detail: String) -> APIError { APIError(.notFound, "not_found", detail) }
    static func conflict(_ detail: String) -> APIError { APIError(.conflict, "conflict", detail) }
    static func unauthorized(_ detail: String) -> APIError {
        APIError(.unauthorized, "unauthorized", detail, headers: [.wwwAuthenticate: "Bearer"])
    }

    /// The broker did not take the command: nothing was appended, try again later.
    static func brokerUnavailable(_ detail: String) -> APIError {
        APIError(.serviceUnavailable, "broker_unavailable", detail, headers: [.retryAfter: "5"])
    }

    /// A v1 write whose read model no projector consumes: v1 answers only applied writes, so it
    /// is refused before the append.
    static func noProjector(_ kind: EntityKind, group: String) -> APIError {
        APIError(
            .serviceUnavailable, "no_projector",
            "the command was not appended: no projector consumes the \(kind.topicSuffix) read model (consumer group \(group) has no member), "
                + "so it could not be applied; try again once a projector runs",
            headers: [.retryAfter: "5"]
        )
    }

    /// A v1 write that was appended but not applied within the wait: v1 clients read an id back at
    /// once, so this is no success; the token lets a client check instead of sending it again.
    static func notApplied(_ token: ConsistencyToken, wait: Duration) -> APIError {
        APIError(
            .gatewayTimeout, "not_applied",
            "the command was appended at \(token) but not applied within \(wait.components.seconds) s; it will be applied when a projector "
                + "reaches it: do not send it again, read with X-Consistency-Token: \(token) to wait for it",
            headers: [.consistencyToken: token.description]
        )
    }

    /// The read-model store did not answer in time; nothing is wrong with the request.
    static let storeUnavailable = APIError(
        .serviceUnavailable, "store_unavailable", "the read-model store is not answering; try again shortly", headers: [.retryAfter: "1"]
    )

    /// The key store did not answer: a user's write cannot be sealed, nor a user erased.
    static let keyStoreUnavailable = APIError(
        .serviceUnavailable, "key_store_unavailable", "the command was not appended: the key store is not answering; try again shortly",
        headers: [.retryAfter: "1"]
    )

    /// A field the write side refused, named as the client's API version spells it.
    static func validation(_ error: InvalidField, names: FieldNames) -> APIError {
        APIError(.unprocessableContent, "invalid_field", "\(names.name(of: error.field)): \(error.message)")
    }

    /// The API answer to a command the fold rejected.
    static func rejected(_ rejection: Rejection) -> APIError {
        switch rejection {
        case .alreadyExists, .duplicateSong: APIError(.conflict, rejection.code, rejection.explanation)
        case .deleted, .notFound, .songNotInPlaylist: APIError(.notFound, rejection.code, rejection.explanation)
        case .versionMismatch: APIError(.preconditionFailed, rejection.code, rejection.explanation)
        }
    }
}

extension Rejection {
    /// The API's code for this rejection, spelled like every other code (the log keeps the
    /// hyphenated raw value).
    var code: String { rawValue.replacingOccurrences(of: "-", with: "_") }
}

/// Which API a path belongs to, for how its errors are written and its fields named.
enum APIVersionOfPath: Equatable {
    case v1, v2, other

    init(_ path: String) {
        self = path.hasPrefix("/api/v2/") || path == "/api/v2" ? .v2 : path.hasPrefix("/api/v1/") || path == "/api/v1" ? .v1 : .other
    }

    /// The field names of this version's bodies (v1's outside the APIs).
    var names: FieldNames { self == .v2 ? V2.names : V1.names }
}

/// Turns every error, including the router's own 404s and body-size errors, into ``APIError`` JSON
/// without internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as InvalidField {
            return try APIError.validation(error, names: APIVersionOfPath(request.uri.path).names).response(from: request, context: context)
        } catch let error as StoreError where error.code.isRetriable {
            // The read-model store did not answer (server down, restarting, or over its deadline):
            // transient, so say when to retry rather than failing as a server bug.
            context.logger.warning("store unavailable", metadata: [MetadataKey.error: "\(error)"])
            return try APIError.storeUnavailable.response(from: request, context: context)
        } catch let error as StoreError {
            // Not transient: a retry gets the same answer, so no Retry-After.
            context.logger.error("store failed", metadata: [MetadataKey.code: "\(error.code.rawValue)", MetadataKey.error: "\(error)"])
            let converted =
                switch error.code {
                case .conflict:
                    APIError(.conflict, "store_conflict", "the read-model store refused the operation as conflicting with its state")
                case .corruptData: APIError(.internalServerError, "corrupt_data", "the read-model store holds data this server cannot read")
                case .unavailable, .misuse: APIError(.internalServerError, "internal", "the server failed to answer this request")
                }
            return try converted.response(from: request, context: context)
        } catch let error as HTTPError {
            let converted: APIError =
                switch error.status {
                case .notFound: .notFound("no route for \(request.method) \(request.uri.path)")
                case .contentTooLarge: APIError(.contentTooLarge, "body_too_large", "request bodies are limited to 1 MiB")
                default:
                    APIError(
                        error.status, error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                        error.body ?? error.status.reasonPhrase)
                }
            return try converted.response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: [MetadataKey.error: "\(error)"])
            return try APIError(.internalServerError, "internal", "the server failed to answer this request").response(
                from: request, context: context)
        }
    }
}
