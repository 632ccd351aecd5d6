public import Kafka
import Foundation
public import Logging

/// One embedded Kafka cluster shared by every test in a process (starting one costs little, but each
/// consumer group on it costs about 3 s, so tests share the cluster and use unique topic and group names).
///
/// Tests that inject faults (brokers down, request errors) must create their own `EmbeddedKafkaCluster`
/// so that they do not disturb tests running in parallel.
public enum SharedBroker {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var instance: EmbeddedKafkaCluster?

    /// The shared cluster (3 brokers), started on first use.
    public static var cluster: EmbeddedKafkaCluster {
        lock.lock()
        defer { lock.unlock() }
        if let instance { return instance }
        var logger = Logger(label: "tideline.test.broker")
        logger.logLevel = .critical
        let cluster = try! EmbeddedKafkaCluster(brokers: 3, logger: logger)
        instance = cluster
        return cluster
    }

    /// A client configuration pointing at `cluster` (or the shared one), with quiet logs.
    public static func client(_ cluster: EmbeddedKafkaCluster? = nil, id: String = "tideline-test") -> KafkaClientConfiguration {
        KafkaClientConfiguration(bootstrapServers: [(cluster ?? Self.cluster).bootstrapServers], clientID: id)
    }
}

/// Names that never collide between tests or runs.
public enum TestNames {
    private static let counter = Counter()
    private final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }

    public static func unique(_ prefix: String) -> String {
        "\(prefix)-\(ProcessInfo.processInfo.processIdentifier)-\(counter.next())-\(UInt32.random(in: 0...UInt32.max))"
    }
}

/// A logger that prints only errors, for tests.
public func quietLogger(_ label: String = "tideline.test") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    return logger
}
