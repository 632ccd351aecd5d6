// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Tideline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tideline", targets: ["tideline"]),
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "Events", targets: ["Events"]),
        .library(name: "LabelJoin", targets: ["LabelJoin"]),
        .library(name: "Statistics", targets: ["Statistics"]),
        .library(name: "Drift", targets: ["Drift"]),
        .library(name: "Alerts", targets: ["Alerts"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "TidelineTestKit", targets: ["TidelineTestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // The C boundary: Debian's librdkafka through pkg-config, and a shim for what Swift cannot call.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(name: "CRdKafkaShim", dependencies: ["CRdKafka"]),
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka", "CRdKafkaShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(name: "Events", swiftSettings: strict),
        .target(name: "LabelJoin", dependencies: ["Events", "CAllocatorTuning"], swiftSettings: strict),
        .target(name: "Statistics", swiftSettings: strict),
        .target(name: "Drift", dependencies: ["Statistics", "Events"], swiftSettings: strict),
        .target(name: "Alerts", dependencies: ["Events"], swiftSettings: strict),
        .target(name: "Monitoring", dependencies: ["Drift", "Alerts", "Statistics", "Events"], swiftSettings: strict),
        // Numeric kernels at the CPU's full vector width, chosen at run time (the Swift targets build for baseline x86-64).
        .target(name: "CNumericKernels"),
        .target(name: "CAllocatorTuning"),
        .target(name: "Training", dependencies: ["Events", "Statistics", "Drift", "CNumericKernels"],
                swiftSettings: strict + [.unsafeFlags(["-Xcc", "-fno-math-errno"])]),
        .target(name: "ModelStore", dependencies: ["Training", "Events", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .target(name: "StateStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .target(
            name: "Telemetry",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Dashboard",
            dependencies: [
                "Telemetry", "Pipeline", "Events",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Pipeline",
            dependencies: [
                "Kafka", "Events", "LabelJoin", "StateStore", "Monitoring", "Statistics", "Training", "ModelStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TidelineConfig",
            dependencies: ["Kafka", "Events", "LabelJoin", "Monitoring", "Drift", "Alerts", "Statistics", "Training", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "Backtest",
            dependencies: ["Events", "LabelJoin", "Monitoring", "Training", "TidelineConfig"],
            swiftSettings: strict
        ),
        .target(
            name: "TidelineCLI",
            dependencies: [
                "Kafka", "Events", "Pipeline", "Telemetry", "Dashboard", "TidelineConfig", "LabelJoin", "Statistics", "Drift", "Monitoring", "Alerts", "Training", "ModelStore",
                "Backtest", "CAllocatorTuning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "tideline", dependencies: ["TidelineCLI"], swiftSettings: strict),
        .target(
            name: "TidelineTestKit",
            dependencies: ["Kafka", "Events", "LabelJoin", "Statistics", "Pipeline", "Training"],
            swiftSettings: strict
        ),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "TidelineTestKit"], swiftSettings: strict),
        .testTarget(name: "EventsTests", dependencies: ["Events"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Kafka", "Events", "LabelJoin", "StateStore", "Monitoring", "Statistics", "TidelineTestKit", "Training", "ModelStore"], swiftSettings: strict),
        .testTarget(name: "LabelJoinTests", dependencies: ["LabelJoin", "Events", "TidelineTestKit"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics", "TidelineTestKit"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "DriftTests", dependencies: ["Drift", "Statistics", "Events", "TidelineTestKit"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Events", "Statistics", "Drift"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "BacktestTests", dependencies: ["Backtest", "Events", "LabelJoin", "Training", "TidelineConfig", "Pipeline"], swiftSettings: strict),
        .testTarget(name: "ModelStoreTests", dependencies: ["ModelStore", "Training", "Events"], swiftSettings: strict),
        .testTarget(name: "AlertsTests", dependencies: ["Alerts", "Events"], swiftSettings: strict),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring", "Drift", "Alerts", "Statistics", "Events", "TidelineTestKit"], swiftSettings: strict),
        .testTarget(name: "StateStoreTests", dependencies: ["StateStore"], swiftSettings: strict),
        .testTarget(name: "TidelineConfigTests", dependencies: ["TidelineConfig", "Kafka", "Training"], swiftSettings: strict),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "TidelineTestKit", .product(name: "Metrics", package: "swift-metrics")], swiftSettings: strict),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "Telemetry", "Pipeline", "Events", .product(name: "Metrics", package: "swift-metrics")], swiftSettings: strict),
        .testTarget(
            name: "TidelineCLITests",
            dependencies: ["TidelineCLI", "TidelineTestKit", "Kafka", "Events", "LabelJoin", "Pipeline", "TidelineConfig", "Statistics", "Training",
                           .product(name: "Yams", package: "Yams"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
    ]
)
