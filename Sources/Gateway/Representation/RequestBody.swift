import Foundation
import Hummingbird
import NIOCore

/// Decodes request bodies for `request.decode(as:context:)`: at most 1 MiB of JSON, every
/// refusal an ``APIError`` 400 (or 413) whose detail names the field.
public struct RequestBodyDecoder: RequestDecoder {
    static let maxSize = 1 << 20

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxSize)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "request bodies are limited to 1 MiB")
        }
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("a JSON object body is required") }
        do {
            return try JSONDecoder().decode(T.self, from: buffer)
        } catch let error as APIError {
            throw error
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw APIError.badRequest("the body must be a JSON object")
        } catch {
            throw APIError.badRequest("the body is not valid JSON")
        }
    }
}

/// Any JSON object key, so a body's fields can be named by the API version that reads them.
struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { nil }
}

/// A request body's JSON object, read strictly: only the allowed fields, each of its expected
/// type, so a typo is refused rather than ignored.
struct JSONFields {
    private let container: KeyedDecodingContainer<JSONKey>

    init(_ decoder: any Decoder, allowed: Set<String>) throws {
        container = try decoder.container(keyedBy: JSONKey.self)
        let unknown = Set(container.allKeys.map(\.stringValue)).subtracting(allowed)
        guard unknown.isEmpty else { throw APIError.badRequest("unknown field(s): \(unknown.sorted().joined(separator: ", "))") }
    }

    /// A required string field.
    func string(_ field: String) throws -> String {
        guard has(field) else { throw APIError.badRequest("missing field \(field)") }
        do {
            return try container.decode(String.self, forKey: JSONKey(field))
        } catch {
            throw APIError.badRequest("\(field) must be a string")
        }
    }

    /// A required field holding a UUID string.
    func uuid(_ field: String) throws -> UUID {
        guard let id = UUID(uuidString: try string(field)) else { throw APIError.badRequest("\(field) must be a UUID") }
        return id
    }

    /// An optional array of UUID strings.
    func uuids(_ field: String) throws -> [UUID]? {
        guard has(field) else { return nil }
        let texts: [String]
        do {
            texts = try container.decode([String].self, forKey: JSONKey(field))
        } catch {
            throw APIError.badRequest("\(field) must be an array of UUIDs")
        }
        return try texts.map { text in
            guard let id = UUID(uuidString: text) else { throw APIError.badRequest("\(field) must be an array of UUIDs") }
            return id
        }
    }

    func has(_ field: String) -> Bool { container.contains(JSONKey(field)) }
}

extension Parameters {
    /// A path parameter that must be a UUID (400 otherwise).
    func uuid(_ name: String) throws -> UUID {
        guard let text = get(name), let id = UUID(uuidString: text) else {
            throw APIError.badRequest("\(name) must be a UUID")
        }
        return id
    }
}
