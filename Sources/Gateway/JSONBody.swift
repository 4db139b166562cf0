import Foundation
import Hummingbird
import NIOCore

/// A request body parsed strictly: a JSON object with only the allowed fields, each of the
/// expected type. Errors name the field.
struct JSONBody {
    static let maxSize = 1 << 20

    private let object: [String: Any]

    /// Reads at most 1 MiB and checks that only `allowed` fields are present.
    static func read(_ request: Request, allowed: Set<String>) async throws -> JSONBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxSize)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "request bodies are limited to 1 MiB")
        }
        let data = Data(buffer: buffer)
        guard !data.isEmpty else { throw APIError.badRequest("a JSON object body is required") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw APIError.badRequest("the body is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw APIError.badRequest("the body must be a JSON object") }
        let unknown = Set(object.keys).subtracting(allowed)
        guard unknown.isEmpty else { throw APIError.badRequest("unknown field(s): \(unknown.sorted().joined(separator: ", "))") }
        return JSONBody(object: object)
    }

    /// A required string field.
    func string(_ field: String) throws -> String {
        guard let value = object[field] else { throw APIError.badRequest("missing field \(field)") }
        guard let string = value as? String, !(value is NSNumber) else { throw APIError.badRequest("\(field) must be a string") }
        return string
    }

    /// A required field holding a UUID string.
    func uuid(_ field: String) throws -> UUID {
        guard let id = UUID(uuidString: try string(field)) else { throw APIError.badRequest("\(field) must be a UUID") }
        return id
    }

    /// An optional array of UUID strings.
    func uuidArray(_ field: String) throws -> [UUID]? {
        guard let value = object[field] else { return nil }
        guard let array = value as? [Any] else { throw APIError.badRequest("\(field) must be an array of UUIDs") }
        return try array.map { element in
            guard let text = element as? String, let id = UUID(uuidString: text) else {
                throw APIError.badRequest("\(field) must be an array of UUIDs")
            }
            return id
        }
    }

    func has(_ field: String) -> Bool { object[field] != nil }
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

/// JSON responses from `[String: Any]`-shaped values, with sorted keys for stable output.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status = .ok, _ object: Any, headers: HTTPFields = [:]) throws -> Response {
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
