import ArgumentParser
import Foundation
import Kafka
import Logging
import Pipeline
import ServiceLifecycle
import TidelineConfig

/// A pipeline stage `tideline run` (and `tideline demo`) can start.
enum PipelineStage: String, ExpressibleByArgument, CaseIterable, Sendable { case join, monitor, train }

/// A built stage: its name, how to run it, and what to print when it stops.
struct StageRunner: Sendable {
    var name: String
    var run: @Sendable () async throws -> Void
    var stopped: @Sendable () -> String
    /// Partitions assigned and state restored (`/readyz`).
    var isReady: @Sendable () -> Bool
}

/// A stage that stopped with an error, and which stage it was.
struct StageFailure: Error, @unchecked Sendable, CustomStringConvertible {
    var stage: String
    var error: any Error
    var description: String {
        error is KafkaError ? "\(stage): cannot reach Kafka: \(error)" : "\(stage): \(error)"
    }
}

extension PipelineStage {
    /// The topics (base names) the stage reads or writes.
    var topics: [String] {
        switch self {
        case .join: ["predictions", "labels", "labeled-examples", "dead-letter"]
        case .monitor: ["predictions", "labeled-examples", "alerts", "dead-letter"]
        case .train: ["labeled-examples", "alerts", "model-commands", "model-updates", "dead-letter"]
        }
    }
}

/// What `tideline run` checks before it starts a stage, so that a wrong broker address, a missing topic or
/// predictions and labels with different partition counts are reported at once with what to fix, instead of a
/// stage retrying in the background.
enum StartupCheck {
    /// Kafka answers within `timeout` (else exit 1), every topic the stages use exists and, for the join,
    /// predictions and labels are co-partitioned (else exit 78). Prints each problem.
    static func verify(_ config: TidelineConfiguration, stages: Set<PipelineStage>, timeout: Duration) async throws {
        let (admin, metadata) = try await describeOrExit(config, timeout: timeout, context: "start-up check")
        var problems: [String] = []
        var users: [String: [String]] = [:]
        for stage in stages.sorted(by: { $0.rawValue < $1.rawValue }) {
            for base in stage.topics { users[base, default: []].append(stage.rawValue) }
        }
        for (base, stageNames) in users.sorted(by: { $0.key < $1.key }) {
            let name = config.topic(base)
            if metadata.existingTopic(name) != nil { continue }
            let apply = "tideline topics apply" + (config.kafka.topicPrefix.isEmpty ? "" : " --topic-prefix \(config.kafka.topicPrefix)")
            problems.append("topic \(name) does not exist (used by \(stageNames.joined(separator: ", "))); create the topics with `\(apply)` or check kafka.topic_prefix")
        }
        if problems.isEmpty && stages.contains(.join) {
            do {
                if let problem = try await admin.coPartitioningProblem([config.topic("predictions"), config.topic("labels")], timeout: timeout) {
                    problems.append(problem)
                }
            } catch {
                problems.append("cannot check that predictions and labels are co-partitioned: \(error)")
            }
        }
        guard !problems.isEmpty else { return }
        for p in problems { printError("start-up check: \(p)") }
        throw ExitCodes.configError
    }
}

extension TidelineConfiguration {
    /// The consumer group of each of `stages`, by stage name (the dashboard sums consumer lag per stage).
    func consumerGroups(_ stages: Set<PipelineStage>) -> [String: String] {
        var out: [String: String] = [:]
        for stage in stages {
            switch stage {
            case .join: out["join"] = join.group
            case .monitor: out["monitor"] = monitor.group
            case .train: out["train"] = train.group
            }
        }
        return out
    }

    /// Builds `stages` (each once, in name order) from this configuration. A stage that cannot be built (a bad
    /// reference snapshot, no model with a train section, an unreadable state file) prints why and exits 78.
    /// `announce` receives one line per stage saying what it reads and writes; `onPublished` is told about every
    /// alert and model update the stages publish (the dashboard's journal).
    func stageRunners(_ stages: Set<PipelineStage>, logger: Logger, configName: String, onPublished: PublishedEventHandler? = nil,
                      announce: (String) -> Void) throws -> [StageRunner] {
        var runners: [StageRunner] = []
        for stage in stages.sorted(by: { $0.rawValue < $1.rawValue }) {
            var logger = logger
            logger[metadataKey: "stage"] = "\(stage.rawValue)"
            switch stage {
            case .join:
                let options = JoinStageOptions(
                    client: kafkaClient, predictionsTopic: topic("predictions"), labelsTopic: topic("labels"),
                    outputTopic: topic("labeled-examples"), deadLetterTopic: topic("dead-letter"), group: join.group,
                    join: joinConfiguration, idleTimeout: join.idleTimeout, idleSlack: join.idleSlack,
                    checkpointInterval: join.checkpointInterval, statePath: state.path, limits: eventLimits)
                let stage: JoinStage
                do { stage = try JoinStage(options: options, logger: logger) } catch {
                    printError("join: \(error)")
                    throw ExitCodes.configError
                }
                announce("join: group=\(options.group) \(options.predictionsTopic)+\(options.labelsTopic) -> \(options.outputTopic) state=\(options.statePath)")
                runners.append(StageRunner(name: "join", run: { try await stage.run() }, stopped: {
                    let s = stage.statistics
                    return "join stopped: \(s.observed) observed, \(s.implicit) implicit, \(s.corrections) corrections in held partitions"
                }, isReady: { stage.readiness.isReady }))
            case .monitor:
                var options = MonitorStageOptions(
                    client: kafkaClient, predictionsTopic: topic("predictions"), examplesTopic: topic("labeled-examples"),
                    alertsTopic: topic("alerts"), deadLetterTopic: topic("dead-letter"), group: monitor.group,
                    monitor: monitorConfiguration, idleTimeout: monitor.idleTimeout,
                    checkpointInterval: monitor.checkpointInterval, statePath: state.path, limits: eventLimits)
                options.onPublished = onPublished
                do { options.references = try monitorConfiguration.loadReferences(models: models.map(\.name)) } catch {
                    printError("monitor: reference snapshot: \(error)")
                    throw ExitCodes.configError
                }
                let stage: MonitorStage
                do { stage = try MonitorStage(options: options, logger: logger) } catch {
                    printError("monitor: \(error)")
                    throw ExitCodes.configError
                }
                announce("monitor: group=\(options.group) \(options.predictionsTopic)+\(options.examplesTopic) -> \(options.alertsTopic) state=\(options.statePath)")
                runners.append(StageRunner(name: "monitor", run: { try await stage.run() }, stopped: {
                    "monitor stopped: \(stage.alertsPublished) alerts published, \(stage.summaries.count) windows closed"
                }, isReady: { stage.readiness.isReady }))
            case .train:
                let trained = trainConfigurations
                guard !trained.isEmpty else {
                    printError("train: no model has a train section; add models.<name>.train to \(configName)")
                    throw ExitCodes.configError
                }
                var options = TrainStageOptions(
                    client: kafkaClient, examplesTopic: topic("labeled-examples"), alertsTopic: topic("alerts"),
                    commandsTopic: topic("model-commands"), updatesTopic: topic("model-updates"),
                    deadLetterTopic: topic("dead-letter"), group: train.group, models: trained,
                    checkpointInterval: train.checkpointInterval, statePath: state.path,
                    catalogPath: train.catalogPath, limits: eventLimits)
                options.onPublished = onPublished
                let stage: TrainStage
                do { stage = try TrainStage(options: options, logger: logger) } catch {
                    printError("train: \(error)")
                    throw ExitCodes.configError
                }
                announce("train: group=\(options.group) models=\(trained.keys.sorted().joined(separator: ",")) \(options.examplesTopic) -> \(options.updatesTopic) catalog=\(options.catalogPath) state=\(options.statePath)")
                runners.append(StageRunner(name: "train", run: { try await stage.run() }, stopped: {
                    let updates = stage.updatesPublished
                    return "train stopped: \(updates.count) model updates published (\(updates.filter { $0.decision == .promoted }.count) promoted)"
                }, isReady: { stage.readiness.isReady }))
            }
        }
        return runners
    }
}

/// A stage as a swift-service-lifecycle service: a graceful shutdown of its group cancels the stage's run, which
/// stops consuming, finishes in-flight output, checkpoints and leaves its consumer group.
struct StageService: Service, CustomStringConvertible {
    let runner: StageRunner
    var description: String { runner.name }

    func run() async throws {
        do { try await cancelWhenGracefulShutdown { try await runner.run() } } catch {
            throw StageFailure(stage: runner.name, error: error)
        }
    }
}

extension [StageRunner] {
    /// One service group holding every stage. `run()` returns once all stages have stopped after
    /// `triggerGracefulShutdown()`; when one stage fails the others are shut down gracefully and its
    /// `StageFailure` is rethrown.
    func serviceGroup(logger: Logger) -> ServiceGroup {
        ServiceGroup(configuration: ServiceGroupConfiguration(
            services: map {
                .init(service: StageService(runner: $0), successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: $0.name)
            },
            logger: logger))
    }
}
