import HTTPTypes

extension HTTPField.Name {
    /// `X-Consistency-Token`: where a write landed; a read presenting it waits until it is visible.
    static let consistencyToken = HTTPField.Name("X-Consistency-Token")!
    /// W3C trace context.
    static let traceparent = HTTPField.Name("traceparent")!
    /// RFC 7240 `Prefer` (`respond-async`).
    static let prefer = HTTPField.Name("Prefer")!
}
