import ArgumentParser
import Events
import Foundation
import Kafka
import LabelJoin
import Logging
import Pipeline
import Telemetry
import TidelineConfig

/// `tideline run`: runs pipeline stages until SIGINT or SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run pipeline stages (today: the label join) until SIGINT or SIGTERM.",
        discussion: """
            The join consumes predictions and labels, publishes labeled-examples, and checkpoints its state with the \
            input offsets to the SQLite file state.path. Run several instances with the same join.group and state \
            file to share partitions. A crash at any point loses nothing: on restart, examples after the last \
            checkpoint are published again with the same event_id.
            """
    )

    enum Stage: String, ExpressibleByArgument, CaseIterable { case join }

    @Option(name: .long, parsing: .upToNextOption, help: "Stages to run: join.")
    var stages: [Stage] = [.join]
    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "SQLite state file. Overrides state.path.")
    var state: String?
    @Option(name: .long, help: "Consumer group of the join. Overrides join.group.")
    var group: String?
    @Option(name: .long, help: "Serve Prometheus metrics on this port (0: any free port). Overrides metrics.port.")
    var metricsPort: Int?

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port: must be between 0 and 65535") }
        if stages.isEmpty { throw ValidationError("--stages: name at least one stage (join)") }
    }

    func run() async throws {
        var config = try connection.resolve()
        if let state { config.state.path = state }
        if let group { config.join.group = group }
        let logger = connection.logger("tideline.run")
        MetricsSystem.bootstrap()
        var metrics: MetricsServer?
        if config.metrics.enabled || metricsPort != nil {
            metrics = try await MetricsServer(host: config.metrics.host, port: metricsPort ?? config.metrics.port)
        }
        let options = JoinStageOptions(
            client: config.kafkaClient, predictionsTopic: config.topic("predictions"), labelsTopic: config.topic("labels"),
            outputTopic: config.topic("labeled-examples"), deadLetterTopic: config.topic("dead-letter"), group: config.join.group,
            join: config.joinConfiguration, idleTimeout: config.join.idleTimeout, idleSlack: config.join.idleSlack,
            checkpointInterval: config.join.checkpointInterval, statePath: config.state.path,
            limits: config.eventLimits)
        let stage: JoinStage
        do { stage = try JoinStage(options: options, logger: logger) } catch {
            printError("join: \(error)")
            throw ExitCodes.configError
        }
        var out = StandardOutput()
        out.line("join: group=\(options.group) \(options.predictionsTopic)+\(options.labelsTopic) -> \(options.outputTopic) state=\(options.statePath)")
        if let metrics { out.line("metrics=http://\(metrics.host):\(metrics.port)/metrics") }
        out.flush()
        let work = Task { try await stage.run() }
        let signals = Task {
            let sig = await TerminationSignal.wait()
            printError("received signal \(sig), checkpointing and stopping")
            work.cancel()
        }
        defer { signals.cancel() }
        do {
            try await work.value
        } catch {
            // Co-partitioning, Kafka unreachable (the topic check times out), a failed publish, a checkpoint that
            // cannot be written: all stop the stage with what happened; a restart resumes from the last checkpoint.
            printError(error is KafkaError ? "join: cannot reach Kafka: \(error)" : "join: \(error)")
            await metrics?.stop()
            throw ExitCodes.runtimeFailure
        }
        let s = stage.statistics
        printError("join stopped: \(s.observed) observed, \(s.implicit) implicit, \(s.corrections) corrections in held partitions")
        await metrics?.stop()
    }
}
