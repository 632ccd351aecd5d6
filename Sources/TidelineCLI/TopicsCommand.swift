import ArgumentParser
import Foundation
import Kafka
import TidelineConfig

/// `tideline topics apply|list|check`.
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create, list and check Tideline's topics (definitions in topics/).",
        subcommands: [Apply.self, List.self, Check.self]
    )

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create every topic in topics/ that does not exist yet.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var topics: TopicsDirectoryOption
        @Option(name: .long, help: "Cap the replication factor (default: the number of brokers).")
        var maxReplication: Int?
        @Option(name: .long, help: "Seconds to wait for the cluster to create the topics.")
        var timeoutSeconds: Int64 = 30

        func run() async throws {
            let config = try connection.resolve()
            let catalog = try topics.load()
            let admin = try KafkaAdmin(configuration: config.kafkaClient, logger: connection.logger("tideline.topics"))
            let meta = try await describeOrExit(admin)
            let cap = maxReplication ?? meta.brokers.count
            let specs = catalog.topics.map { $0.spec(prefix: config.kafka.topicPrefix, maxReplication: cap) }
            // Idempotent: only topics the cluster does not have are sent to CreateTopics.
            var result: [String: KafkaTopicCreation] = [:]
            for spec in specs {
                if let t = meta.topic(spec.name), t.error == nil, !t.partitions.isEmpty { result[spec.name] = .alreadyExists }
            }
            let missing = specs.filter { result[$0.name] == nil }
            if !missing.isEmpty {
                do {
                    for (name, outcome) in try await admin.createTopics(missing, timeout: .seconds(timeoutSeconds)) { result[name] = outcome }
                } catch {
                    printError("topics apply: \(error)")
                    if error.classification == .retriable {
                        printError("hint: the cluster did not create the topics. librdkafka's embedded (mock) broker cannot create topics on request; `tideline broker --topic-prefix P` creates them itself at start.")
                    }
                    throw ExitCodes.runtimeFailure
                }
            }
            var failed = false
            var out = StandardOutput()
            for spec in specs {
                switch result[spec.name] {
                case .created: out.line("created \(spec.name) (\(spec.partitions) partitions, replication \(spec.replicationFactor))")
                case .alreadyExists: out.line("exists  \(spec.name)")
                case .failed(let e): out.line("failed  \(spec.name): \(e)"); failed = true
                case nil: out.line("failed  \(spec.name): no result from the broker"); failed = true
                }
            }
            out.flush()
            if failed { throw ExitCodes.runtimeFailure }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the cluster's topics with their partition counts.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let config = try connection.resolve()
            let admin = try KafkaAdmin(configuration: config.kafkaClient, logger: connection.logger("tideline.topics"))
            let meta = try await describeOrExit(admin)
            var out = StandardOutput()
            for t in meta.topics.sorted(by: { $0.name < $1.name }) where !t.name.hasPrefix("__") {
                out.line("\(t.name)\tpartitions=\(t.partitions.count)\treplicas=\(t.partitions.first?.replicas ?? 0)")
            }
            out.flush()
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that every topic exists with its partition count and that predictions and labels are co-partitioned.",
            discussion: "Exits 1 and says what to fix when a check fails.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var topics: TopicsDirectoryOption

        func run() async throws {
            let config = try connection.resolve()
            let catalog = try topics.load()
            let admin = try KafkaAdmin(configuration: config.kafkaClient, logger: connection.logger("tideline.topics"))
            let meta = try await describeOrExit(admin)
            var problems: [String] = []
            var out = StandardOutput()
            for def in catalog.topics {
                let name = config.topic(def.name)
                guard let t = meta.topic(name), t.error == nil, !t.partitions.isEmpty else {
                    problems.append("\(name) does not exist; run `tideline topics apply`")
                    continue
                }
                if t.partitions.count != def.partitions {
                    out.line("note    \(name) has \(t.partitions.count) partitions; topics/\(def.name).json says \(def.partitions)")
                } else {
                    out.line("ok      \(name) (\(t.partitions.count) partitions)")
                }
            }
            if let problem = try await admin.coPartitioningProblem([config.topic("predictions"), config.topic("labels")]) {
                problems.append(problem)
            }
            for p in problems { out.line("problem \(p)") }
            out.flush()
            if !problems.isEmpty { throw ExitCodes.runtimeFailure }
        }
    }
}

func describeOrExit(_ admin: KafkaAdmin) async throws -> ClusterMetadata {
    do { return try await admin.describe(timeout: .seconds(10)) } catch {
        printError("cannot reach Kafka: \(error)")
        throw ExitCodes.runtimeFailure
    }
}
