/// A client or store whose resources ``close()`` releases.
public protocol Closable: Sendable {
    /// Releases its resources; a second call does nothing.
    func close() async
}

extension Closable {
    /// Runs `body` with this value, then closes it whether `body` returned or threw: an async
    /// `defer` cannot await the close.
    public func closing<T>(isolation: isolated (any Actor)? = #isolation, _ body: (Self) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}
