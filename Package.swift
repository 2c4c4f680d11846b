// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "valkey-cluster-exporter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "valkey-cluster-exporter", targets: ["valkey-cluster-exporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        // The range swift-certificates already resolves (3.12.3 is the lowest we accept): only SHA-256/HMAC are used.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .target(
            name: "RESP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ValkeyConnection",
            dependencies: [
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ClusterModel",
            dependencies: [],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Collector",
            dependencies: [
                "ClusterModel", "ValkeyConnection", "RESP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Exposition",
            dependencies: [
                "ClusterModel", "Collector", "ValkeyConnection",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The exporter-toolkit web-config file (--web-config-file): parsed and validated, no I/O beyond reading it.
        .target(
            name: "WebConfig",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTPAPI",
            dependencies: [
                "ClusterModel", "Collector", "Exposition", "WebConfig",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "valkey-cluster-exporter",
            dependencies: [
                "HTTPAPI", "Collector", "ClusterModel", "ValkeyConnection", "Exposition", "WebConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RenderBenchmark",
            dependencies: [
                "Exposition", "Collector", "ClusterModel",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/RenderBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ParseBenchmark",
            dependencies: ["Collector", "ClusterModel", "RESP", .product(name: "NIOCore", package: "swift-nio")],
            path: "Benchmarks/ParseBenchmark",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "RESPTests", dependencies: ["RESP"], swiftSettings: swiftSettings),
        .testTarget(name: "ClusterModelTests", dependencies: ["ClusterModel"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "ValkeyConnectionTests",
            dependencies: ["ValkeyConnection", "RESP", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CollectorTests",
            dependencies: ["Collector", "ClusterModel", "RESP", "ValkeyConnection", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExpositionTests",
            dependencies: [
                "Exposition", "Collector", "ClusterModel", "ValkeyConnection",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Golden")],
            swiftSettings: swiftSettings
        ),
        // Bounded random campaigns against every parser of untrusted input (FUZZ_ITERATIONS, FUZZ_SEED; `make fuzz`).
        .testTarget(
            name: "FuzzTests",
            dependencies: ["RESP", "ClusterModel", "Collector", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "WebConfigTests", dependencies: ["WebConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "HTTPAPI", "Collector", "ClusterModel", "ValkeyConnection", "Exposition", "WebConfig",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
