import ArgumentParser
import Events
import Foundation
import Kafka
import LabelJoin
import Logging
import Monitoring
import Pipeline
import Telemetry
import TidelineConfig

/// `tideline run`: runs pipeline stages until SIGINT or SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run pipeline stages (join, monitor, train) until SIGINT or SIGTERM.",
        discussion: """
            join consumes predictions and labels and publishes labeled-examples; monitor consumes predictions and \
            labeled-examples and publishes alerts; train consumes labeled-examples, alerts and model-commands, trains \
            every model with a train section, and publishes model-updates. Each checkpoints its state with its input offsets to the SQLite \
            file state.path. Run several join instances with the same join.group and state file to share partitions; \
            run one monitor instance per monitor.group and one train instance per train.group. A crash at any point loses nothing: on restart, output after \
            the last checkpoint is published again with the same event_id (join), alert_id and status (monitor), or \
            model and version with the same parameters (train).
            """
    )

    enum Stage: String, ExpressibleByArgument, CaseIterable { case join, monitor, train }

    @Option(name: .long, parsing: .upToNextOption, help: "Stages to run: join, monitor, train (several: --stages join monitor train).")
    var stages: [Stage] = [.join]
    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "SQLite state file. Overrides state.path.")
    var state: String?
    @Option(name: .long, help: "Consumer group of the (single) stage. Overrides join.group, monitor.group or train.group.")
    var group: String?
    @Option(name: .long, help: "Serve Prometheus metrics on this port (0: any free port). Overrides metrics.port.")
    var metricsPort: Int?

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port: must be between 0 and 65535") }
        if stages.isEmpty { throw ValidationError("--stages: name at least one stage (join, monitor, train)") }
        if group != nil && Set(stages).count > 1 { throw ValidationError("--group: applies to one stage; set join.group, monitor.group and train.group in the config to run several") }
    }

    /// A started stage: its name, how to run it, and what to print when it stops.
    struct Runner: Sendable {
        var name: String
        var run: @Sendable () async throws -> Void
        var stopped: @Sendable () -> String
    }

    func run() async throws {
        var config = try connection.resolve()
        if let state { config.state.path = state }
        if let group {
            if stages.contains(.join) { config.join.group = group }
            if stages.contains(.monitor) { config.monitor.group = group }
            if stages.contains(.train) { config.train.group = group }
        }
        let logger = connection.logger("tideline.run")
        MetricsSystem.bootstrap()
        var metrics: MetricsServer?
        if config.metrics.enabled || metricsPort != nil {
            metrics = try await MetricsServer(host: config.metrics.host, port: metricsPort ?? config.metrics.port)
        }
        var out = StandardOutput()
        var runners: [Runner] = []
        for stage in Array(Set(stages)).sorted(by: { $0.rawValue < $1.rawValue }) {
            switch stage {
            case .join:
                let options = JoinStageOptions(
                    client: config.kafkaClient, predictionsTopic: config.topic("predictions"), labelsTopic: config.topic("labels"),
                    outputTopic: config.topic("labeled-examples"), deadLetterTopic: config.topic("dead-letter"), group: config.join.group,
                    join: config.joinConfiguration, idleTimeout: config.join.idleTimeout, idleSlack: config.join.idleSlack,
                    checkpointInterval: config.join.checkpointInterval, statePath: config.state.path,
                    limits: config.eventLimits)
                let join: JoinStage
                do { join = try JoinStage(options: options, logger: logger) } catch {
                    printError("join: \(error)")
                    throw ExitCodes.configError
                }
                out.line("join: group=\(options.group) \(options.predictionsTopic)+\(options.labelsTopic) -> \(options.outputTopic) state=\(options.statePath)")
                runners.append(Runner(name: "join", run: { try await join.run() }, stopped: {
                    let s = join.statistics
                    return "join stopped: \(s.observed) observed, \(s.implicit) implicit, \(s.corrections) corrections in held partitions"
                }))
            case .monitor:
                var options = MonitorStageOptions(
                    client: config.kafkaClient, predictionsTopic: config.topic("predictions"), examplesTopic: config.topic("labeled-examples"),
                    alertsTopic: config.topic("alerts"), deadLetterTopic: config.topic("dead-letter"), group: config.monitor.group,
                    monitor: config.monitorConfiguration, idleTimeout: config.monitor.idleTimeout,
                    checkpointInterval: config.monitor.checkpointInterval, statePath: config.state.path, limits: config.eventLimits)
                do { options.references = try config.monitorConfiguration.loadReferences(models: config.models.map(\.name)) } catch {
                    printError("monitor: reference snapshot: \(error)")
                    throw ExitCodes.configError
                }
                let monitor: MonitorStage
                do { monitor = try MonitorStage(options: options, logger: logger) } catch {
                    printError("monitor: \(error)")
                    throw ExitCodes.configError
                }
                out.line("monitor: group=\(options.group) \(options.predictionsTopic)+\(options.examplesTopic) -> \(options.alertsTopic) state=\(options.statePath)")
                runners.append(Runner(name: "monitor", run: { try await monitor.run() }, stopped: {
                    "monitor stopped: \(monitor.alertsPublished) alerts published, \(monitor.summaries.count) windows closed"
                }))
            case .train:
                let models = config.trainConfigurations
                guard !models.isEmpty else {
                    printError("train: no model has a train section; add models.<name>.train to \(connection.config ?? "the configuration (--config)")")
                    throw ExitCodes.configError
                }
                let options = TrainStageOptions(
                    client: config.kafkaClient, examplesTopic: config.topic("labeled-examples"), alertsTopic: config.topic("alerts"),
                    commandsTopic: config.topic("model-commands"), updatesTopic: config.topic("model-updates"),
                    deadLetterTopic: config.topic("dead-letter"), group: config.train.group, models: models,
                    checkpointInterval: config.train.checkpointInterval, statePath: config.state.path,
                    catalogPath: config.train.catalogPath, limits: config.eventLimits)
                let train: TrainStage
                do { train = try TrainStage(options: options, logger: logger) } catch {
                    printError("train: \(error)")
                    throw ExitCodes.configError
                }
                out.line("train: group=\(options.group) models=\(models.keys.sorted().joined(separator: ",")) \(options.examplesTopic) -> \(options.updatesTopic) catalog=\(options.catalogPath) state=\(options.statePath)")
                runners.append(Runner(name: "train", run: { try await train.run() }, stopped: {
                    let updates = train.updatesPublished
                    return "train stopped: \(updates.count) model updates published (\(updates.filter { $0.decision == .promoted }.count) promoted)"
                }))
            }
        }
        if let metrics { out.line("metrics=http://\(metrics.host):\(metrics.port)/metrics") }
        out.flush()
        let work = Task { [runners] in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for runner in runners {
                    group.addTask {
                        do { try await runner.run() } catch {
                            throw StageFailure(stage: runner.name, error: error)
                        }
                    }
                }
                // One stage failing stops the others.
                defer { group.cancelAll() }
                try await group.waitForAll()
            }
        }
        let signals = Task {
            let sig = await TerminationSignal.wait()
            printError("received signal \(sig), checkpointing and stopping")
            work.cancel()
        }
        defer { signals.cancel() }
        do {
            try await work.value
        } catch let failure as StageFailure {
            // Co-partitioning, Kafka unreachable (the topic check times out), a failed publish, a checkpoint that
            // cannot be written: all stop the stage with what happened; a restart resumes from the last checkpoint.
            printError(failure.error is KafkaError ? "\(failure.stage): cannot reach Kafka: \(failure.error)" : "\(failure.stage): \(failure.error)")
            await metrics?.stop()
            throw ExitCodes.runtimeFailure
        }
        for runner in runners { printError(runner.stopped()) }
        await metrics?.stop()
    }

    struct StageFailure: Error, @unchecked Sendable {
        var stage: String
        var error: any Error
    }
}
