import Hummingbird

/// Answers 429 with `Retry-After` when one client sends writes (any non-GET request under
/// `/api/`) faster than its ``WriteRateLimiter`` allows.
///
/// A client is its token's user when it has one, else its address (``EncoreRequestContext/client``).
struct WriteRateLimitMiddleware: RouterMiddleware {
    typealias Context = EncoreRequestContext
    let limiter: WriteRateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard ![.get, .head, .options].contains(request.method), request.uri.path.hasPrefix("/api/") else {
            return try await next(request, context)
        }
        if let wait = limiter.acquire(client: context.client) {
            let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
            throw APIError(
                .tooManyRequests, "rate_limited",
                "this client sent more than \(Self.format(limiter.rate)) writes per second (bursts up to \(Self.format(limiter.burst))); retry after \(seconds) s",
                headers: [.retryAfter: String(seconds)]
            )
        }
        return try await next(request, context)
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
