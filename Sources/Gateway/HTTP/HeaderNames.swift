import HTTPTypes

extension HTTPField.Name {
    /// `X-Consistency-Token`: where a write landed; a read presenting it waits until it is visible.
    static let consistencyToken = HTTPField.Name("X-Consistency-Token")!
    /// W3C trace context.
    static let traceparent = HTTPField.Name("traceparent")!
    /// `X-Request-Id`: the caller's id for a request, else the gateway's; echoed in the response.
    static let requestID = HTTPField.Name("X-Request-Id")!
    /// RFC 7240 `Prefer` (`respond-async`).
    static let prefer = HTTPField.Name("Prefer")!
}
