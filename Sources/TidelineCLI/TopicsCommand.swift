import ArgumentParser
import Foundation
import Kafka
import Logging
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
            let (admin, meta) = try await describeOrExit(config, context: "topics apply")
            let cap = maxReplication ?? meta.brokers.count
            let specs = catalog.topics.map { $0.spec(prefix: config.kafka.topicPrefix, maxReplication: cap) }
            // Idempotent: only topics the cluster does not have are sent to CreateTopics.
            var result: [String: KafkaTopicCreation] = [:]
            for spec in specs {
                if meta.existingTopic(spec.name) != nil { result[spec.name] = .alreadyExists }
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
            let (_, meta) = try await describeOrExit(config, context: "topics list")
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
            let (admin, meta) = try await describeOrExit(config, context: "topics check")
            var problems: [String] = []
            var out = StandardOutput()
            for def in catalog.topics {
                let name = config.topic(def.name)
                guard let t = meta.existingTopic(name) else {
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

/// An admin client for the configured cluster and the cluster's metadata; exits 1 saying what to check when Kafka
/// does not answer within `timeout`. librdkafka's connection retries are not logged: the error sums them up.
func describeOrExit(_ config: TidelineConfiguration, timeout: Duration = .seconds(10), context: String) async throws -> (KafkaAdmin, ClusterMetadata) {
    var quiet = Logger(label: "tideline.admin")
    quiet.logLevel = .critical
    let admin = try KafkaAdmin(configuration: config.kafkaClient, logger: quiet)
    do { return (admin, try await admin.describe(timeout: timeout)) } catch {
        printError("\(context): cannot reach Kafka at \(config.kafka.brokers.joined(separator: ",")) within \(timeout): \(error); " +
                   "check kafka.brokers (or --brokers) and that the brokers are up")
        throw ExitCodes.runtimeFailure
    }
}
