// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "encore",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "encore", targets: ["encore"]),
        .library(name: "Kafka", targets: ["Kafka"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP/HTTP only: the gRPC exporter's dependencies would double the build for nothing.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        // Already built for swift-otel's OTLP/HTTP exporter; the gateway fetches an OIDC provider's keys with it.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
    ],
    targets: [
        // librdkafka's C API, found through pkg-config (scripts/setup installs >= 2.1).
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // SQLite's C API (Debian's libsqlite3-dev).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // zlib's CRC-32 (Debian's zlib1g-dev), for the log journal's record frames.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Async/await Kafka client: producer, consumer, admin.
        // A lock ThreadSanitizer can see (Synchronization.Mutex on Linux it cannot).
        .target(name: "Locking"),
        // The keys of every log line's metadata, in one place.
        .target(name: "MetadataKeys"),
        // Child processes this one starts: free ports, and a watchdog so none outlives it.
        .target(name: "ProcessSupport"),
        .target(
            name: "Kafka",
            dependencies: [
                "MetadataKeys",
                "CRdKafka", "Locking",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The log on local disk: segment files of Kafka records (offsets, timestamps, keys,
        // headers); encore dev's durable log (keeper and restore) and encore log backup/restore.
        .target(
            name: "Journal",
            dependencies: [
                "MetadataKeys",
                "Kafka", "CZlib", "Locking",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Commands, the log's record envelope, validation and the pure fold. No I/O.
        .target(name: "Domain"),
        // Read models and checkpoints: the store protocol, SQLite and PostgreSQL backends.
        .target(
            name: "Store",
            dependencies: [
                "MetadataKeys",
                "Domain", "Locking",
                "CSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Personal data sealed per user (crypto-shredding): the master key, data keys kept
        // wrapped in a key store, erasure.
        .target(
            name: "Privacy",
            dependencies: ["Domain", "Store", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The log contract: commands as Kafka records (topic, key, schema id, trace headers),
        // topic and consumer-group names, and the check that the log still holds what was folded.
        .target(
            name: "Log",
            dependencies: [
                "MetadataKeys",
                "Domain", "Kafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // Records of one topic folded into a store batch and committed: the one fold path shared
        // by the live projector and replays.
        .target(
            name: "Projection",
            dependencies: [
                "MetadataKeys",
                "Domain", "Kafka", "Log", "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // The live projector: consumer groups, fenced commits, checkpoints, dead letters.
        .target(
            name: "Projector",
            dependencies: [
                "MetadataKeys",
                "Domain", "Kafka", "Locking", "Log", "Projection", "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // Rebuilds read models from the log into new namespaces; verifies; reads one entity's history.
        .target(
            name: "Replay",
            dependencies: [
                "MetadataKeys", "Domain", "Kafka", "Locking", "Log", "Projection", "Store", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Consumer-lag monitoring of the projector groups: records, seconds, rate, status.
        .target(
            name: "Lag",
            dependencies: [
                "MetadataKeys",
                "Domain", "Kafka", "Locking", "Log", "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The REST gateway: write role (commands to topics) and read role (read models).
        .target(
            name: "Gateway",
            dependencies: [
                "MetadataKeys",
                "Domain", "Kafka", "Locking", "Log", "Privacy", "Store", "Lag",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            resources: [.copy("openapi.json"), .copy("dashboard.html")]
        ),
        // Runs a local Tansu broker process (dev mode and test harness).
        .target(
            name: "LocalBroker",
            dependencies: [
                "MetadataKeys",
                "Locking", "ProcessSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Test support: a real broker per test on a free port, condition waits.
        .target(
            name: "KafkaTesting",
            dependencies: ["Kafka", "LocalBroker", "Locking", "ProcessSupport", .product(name: "Logging", package: "swift-log")]
        ),
        // Test support: real SQLite files and a private PostgreSQL server on a free port.
        .target(
            name: "StoreTesting",
            dependencies: ["Domain", "Locking", "Privacy", "ProcessSupport", "Store", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "encore",
            dependencies: [
                "MetadataKeys",
                "Kafka", "LocalBroker", "Locking", "Journal", "Domain", "Log", "Store", "Privacy", "Projection", "Projector", "Gateway",
                "Replay", "Lag",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // bench/http's floor: a bare Hummingbird server answering /health (not shipped).
        .executableTarget(
            name: "http-floor",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/HTTPFloor"
        ),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "KafkaTesting"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "KafkaTesting", "Locking"]),
        .testTarget(
            name: "ReplayerTests",
            dependencies: [
                "Domain", "Kafka", "Locking", "Log", "Privacy", "Projection", "Replay", "Store", "StoreTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "PrivacyTests", dependencies: ["Domain", "Privacy", "Store", "StoreTesting"]),
        .testTarget(name: "JournalTests", dependencies: ["Journal", "Kafka", "KafkaTesting", "Locking"]),
        // KafkaTesting for its openssl test certificates (PostgreSQL over TLS).
        .testTarget(name: "StoreTests", dependencies: ["Store", "StoreTesting", "Domain", "KafkaTesting"]),
        .testTarget(
            name: "ProjectionTests",
            dependencies: ["Domain", "Projection", "Store", "StoreTesting", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "ProjectorTests",
            dependencies: [
                "Domain", "Kafka", "Locking", "Projection", "Projector", "Store", "StoreTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "LagTests",
            dependencies: ["Domain", "Kafka", "Log", "Store", "Projection", "Projector", "Lag", "KafkaTesting", "StoreTesting"]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Domain", "Kafka", "KafkaTesting", "Locking", "Log", "Store", "StoreTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Domain", "Journal", "Kafka", "LocalBroker", "Locking", "Log", "Privacy", "ProcessSupport", "Projection", "Store",
                "Projector",
                "Gateway",
                "Replay", "KafkaTesting", "StoreTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
    ]
)

// `scripts/sanitize address` sets ENCORE_SANITIZE_OWN_TARGETS=address: AddressSanitizer on this
// package's targets only, built in the normal build directory, so the dependencies already
// compiled there are reused (a fully sanitized build took about 10 minutes of CI). Our unsafe
// code (the librdkafka and SQLite bindings, the journal) is instrumented, and the sanitizer's
// allocator sees every allocation, uninstrumented code's included. ThreadSanitizer needs every
// module instrumented, so it keeps its own fully sanitized build.
if Context.environment["ENCORE_SANITIZE_OWN_TARGETS"] == "address" {
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-sanitize=address"])]
        if target.type == .executable || target.type == .test {
            target.linkerSettings = (target.linkerSettings ?? []) + [.unsafeFlags(["-sanitize=address"])]
        }
    }
}
