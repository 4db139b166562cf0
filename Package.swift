// swift-tools-version:6.0
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
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        // librdkafka's C API, found through pkg-config (scripts/setup installs >= 2.1).
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // Async/await Kafka client: producer, consumer, admin.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Runs a local Tansu broker process (dev mode and test harness).
        .target(
            name: "LocalBroker",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Test support: a real broker per test on a free port, condition waits.
        .target(
            name: "KafkaTesting",
            dependencies: ["Kafka", "LocalBroker", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "encore",
            dependencies: [
                "Kafka",
                "LocalBroker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "KafkaTesting"]),
        .testTarget(name: "LocalBrokerTests", dependencies: ["LocalBroker", "KafkaTesting"]),
    ]
)
