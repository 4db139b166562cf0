import Foundation
import Logging

/// Writes one JSON object per log line to standard error: `timestamp` (ISO 8601, UTC,
/// milliseconds), `level`, `label`, `message` and `metadata` (the logger's, the metadata
/// provider's, then the call's; the call wins), for log shippers that parse structure.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, metadataProvider: Logger.MetadataProvider?) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        let object: [String: Any] = [
            "timestamp": Date.now.formatted(Self.timestampStyle),
            "level": event.level.rawValue,
            "label": label,
            "message": "\(event.message)",
            "metadata": merged.mapValues(Self.jsonValue),
        ]
        // Only strings, arrays and dictionaries of them: serialization cannot fail.
        let line = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        FileHandle.standardError.write(line + Data("\n".utf8))
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(jsonValue)
        case .dictionary(let values): values.mapValues(jsonValue)
        }
    }
}
