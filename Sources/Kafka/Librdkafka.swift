import CRdKafka

/// The librdkafka library loaded at run time, and the minimum Encore needs.
public enum Librdkafka {
    /// librdkafka 2.1 is the first that reads ApiVersions v3 answers from Tansu correctly.
    public static let minimumVersion = Version(major: 2, minor: 1, patch: 0)

    /// The version of the librdkafka shared library the process actually loaded.
    public static var loadedVersion: Version { Version(packed: rd_kafka_version()) }

    /// Throws a message naming both versions and the fix when `version` (by default the
    /// loaded librdkafka) is too old.
    public static func requireMinimumVersion(_ version: Version = loadedVersion) throws(VersionError) {
        guard version >= minimumVersion else {
            throw VersionError(loaded: version, required: minimumVersion)
        }
    }

    /// Whether librdkafka knows a configuration property by this name (global, topic-level or
    /// an alias such as `acks`): asked by setting it, empty, on a scratch configuration, since
    /// `rd_kafka_conf_dump` lists neither aliases nor topic-level properties.
    public static func hasProperty(_ name: String) -> Bool {
        let conf = rd_kafka_conf_new()!
        defer { rd_kafka_conf_destroy(conf) }
        var errstr = [CChar](repeating: 0, count: 512)
        return rd_kafka_conf_set(conf, name, "", &errstr, errstr.count) != RD_KAFKA_CONF_UNKNOWN
    }

    /// A librdkafka release number.
    public struct Version: Comparable, Sendable, CustomStringConvertible {
        public var major: Int
        public var minor: Int
        public var patch: Int

        public init(major: Int, minor: Int, patch: Int) {
            self.major = major
            self.minor = minor
            self.patch = patch
        }

        /// Decodes librdkafka's `0xMMmmrrxx` packed form.
        public init(packed: Int32) {
            let value = UInt32(bitPattern: packed)
            self.init(major: Int(value >> 24 & 0xff), minor: Int(value >> 16 & 0xff), patch: Int(value >> 8 & 0xff))
        }

        public static func < (lhs: Version, rhs: Version) -> Bool {
            (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }

        public var description: String { "\(major).\(minor).\(patch)" }
    }

    /// The loaded librdkafka is older than Encore supports.
    public struct VersionError: Error, CustomStringConvertible {
        public let loaded: Version
        public let required: Version

        public var description: String {
            "librdkafka \(loaded) is loaded, but Encore needs librdkafka >= \(required) "
                + "(older versions cannot talk to Tansu). Run scripts/setup to build it into /usr/local."
        }
    }
}
