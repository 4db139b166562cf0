import Domain
import Foundation
import Hummingbird
import Logging
import Tracing

/// Gives every request an id: the caller's `X-Request-Id` when it is a sane token, else a new
/// UUID. The id is in the request logger's metadata and, for loggers that are not the request's
/// (the command service's), in the task's context (see ``Logger/MetadataProvider/requestID``);
/// the response echoes it.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[.requestID].flatMap(Self.accepted) ?? UUID().lowercasedString
        var context = context
        context.logger[metadataKey: RequestIDKey.metadataKey] = "\(id)"
        var instrumentation = InstrumentationContext.current ?? .topLevel
        instrumentation[RequestIDKey.self] = id
        var response = try await InstrumentationContext.$current.withValue(instrumentation) {
            try await next(request, context)
        }
        response.headers[.requestID] = id
        return response
    }

    /// A caller's id is kept only if short and printable, so it cannot forge log lines.
    static func accepted(_ candidate: String) -> String? {
        guard (1...128).contains(candidate.utf8.count), candidate.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return candidate
    }
}

/// The request id in a task's instrumentation context.
enum RequestIDKey: InstrumentationContextKey {
    typealias Value = String
    static let metadataKey = "request.id"
}

extension Logger.MetadataProvider {
    /// Adds `request.id` to every log line written while the gateway handles a request.
    public static let requestID = Logger.MetadataProvider {
        InstrumentationContext.current?[RequestIDKey.self].map { [RequestIDKey.metadataKey: "\($0)"] } ?? [:]
    }
}
