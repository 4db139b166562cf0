import ArgumentParser
import Foundation
import Synchronization

/// Every option's `ENCORE_<NAME>` variable (`--write-rate-limit` reads `ENCORE_WRITE_RATE_LIMIT`),
/// read by the option's own parser, so a variable accepts exactly what its flag accepts.
///
/// ArgumentParser evaluates option defaults whenever it builds a command (in debug builds, every
/// command of the tree), so a default cannot refuse the start itself: ``default(_:_:)`` records
/// that the option reads its variable, and ``check(_:)``, run on the parsed command before it
/// runs, refuses any of its variables that the option's parser cannot read.
enum EnvironmentOptions {
    private static let backed = Mutex<Set<String>>([])

    /// `ENCORE_<name>` read by `Value`'s parser as the option's default; `fallback` where it is
    /// unset or empty. An unreadable value never reaches a command: ``check(_:)`` refuses it.
    static func `default`<Value: ExpressibleByArgument>(_ name: String, _ fallback: Value) -> Value {
        backed.withLock { _ = $0.insert(name) }
        guard let raw = value(of: name), let parsed = Value(argument: raw) else { return fallback }
        return parsed
    }

    /// The non-empty value of `ENCORE_<name>`.
    static func value(of name: String) -> String? {
        ProcessInfo.processInfo.environment["ENCORE_\(name)"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Throws a `ValidationError` (exit code 64) naming the first variable of `command`'s options,
    /// its option groups' included, that its option's parser cannot read.
    static func check(_ command: any ParsableArguments) throws {
        for child in Mirror(reflecting: command).children {
            guard let label = child.label else { continue }
            if let group = child.value as? any OptionGroupValue {
                try check(group.options)
            } else if let option = child.value as? any EnvironmentReadable {
                // The wrapper's storage is `_name`.
                let name = variableName(String(label.drop { $0 == "_" }))
                guard backed.withLock({ $0.contains(name) }), let raw = value(of: name) else { continue }
                if let problem = option.problem(reading: raw) {
                    throw ValidationError("ENCORE_\(name)=\(raw) cannot be read: \(problem)")
                }
            }
        }
    }

    /// `writeRateLimit` → `WRITE_RATE_LIMIT`, `jwksURL` → `JWKS_URL`.
    static func variableName(_ property: String) -> String {
        var name = ""
        var previous: Character?
        for character in property {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { name.append("_") }
            name.append(character)
            previous = character
        }
        return name.uppercased()
    }

    /// What a value of `Value` looks like, for refusals.
    static func accepted<Value: ExpressibleByArgument>(_ type: Value.Type) -> String {
        if !Value.allValueStrings.isEmpty { return "use one of \(Value.allValueStrings.joined(separator: ", "))" }
        switch type {
        case is Bool.Type: return "use true or false"
        case is Int.Type, is Int32.Type, is UInt64.Type: return "use a whole number"
        case is Double.Type: return "use a number"
        default: return "see --help"
        }
    }
}

/// An option whose values come from a parser (`ExpressibleByArgument`).
private protocol EnvironmentReadable {
    func problem(reading raw: String) -> String?
}

extension Option: EnvironmentReadable where Value: ExpressibleByArgument {
    fileprivate func problem(reading raw: String) -> String? {
        Value(argument: raw) == nil ? EnvironmentOptions.accepted(Value.self) : nil
    }
}

/// An option group, whose options are checked too.
private protocol OptionGroupValue {
    var options: any ParsableArguments { get }
}

extension OptionGroup: OptionGroupValue {
    fileprivate var options: any ParsableArguments { wrappedValue }
}
