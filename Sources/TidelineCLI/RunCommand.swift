import ArgumentParser
import Dashboard
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

    @Option(name: .long, parsing: .upToNextOption, help: "Stages to run: join, monitor, train (several: --stages join monitor train).")
    var stages: [PipelineStage] = [.join]
    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "SQLite state file. Overrides state.path.")
    var state: String?
    @Option(name: .long, help: "Consumer group of the (single) stage. Overrides join.group, monitor.group or train.group.")
    var group: String?
    @Option(name: .long, help: "Serve Prometheus metrics on this port (0: any free port). Overrides metrics.port.")
    var metricsPort: Int?
    @Option(name: .long, help: "How long the start-up checks wait for Kafka to answer (a duration).")
    var startupTimeout: String = "15s"

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port: must be between 0 and 65535") }
        guard let t = DurationText.milliseconds(startupTimeout), t > 0 else {
            throw ValidationError("--startup-timeout: \"\(startupTimeout)\" is not a positive duration such as 15s")
        }
        if stages.isEmpty { throw ValidationError("--stages: name at least one stage (join, monitor, train)") }
        if group != nil && Set(stages).count > 1 { throw ValidationError("--group: applies to one stage; set join.group, monitor.group and train.group in the config to run several") }
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
        // Start-up checks, in order: the configuration (building the stages validates it), then Kafka and the topics.
        var out = StandardOutput()
        let journal = DashboardJournal()
        let runners = try config.stageRunners(Set(stages), logger: logger, configName: connection.config ?? "the configuration (--config)",
                                              onPublished: journal.handler) { out.line($0) }
        try await StartupCheck.verify(config, stages: Set(stages), timeout: .milliseconds(DurationText.milliseconds(startupTimeout)!))
        var metrics: OperationsServer?
        if config.metrics.enabled || metricsPort != nil {
            // /readyz: the start-up checks passed (Kafka reachable, topics fine) and every stage holds its partitions with state restored.
            do {
                metrics = try await OperationsServer(host: config.metrics.host, port: metricsPort ?? config.metrics.port,
                                                     readiness: { [runners] in runners.allSatisfy { $0.isReady() } }, journal: journal,
                                                     title: "tideline run: " + runners.map(\.name).joined(separator: ", "),
                                                     stageGroups: config.consumerGroups(Set(stages)), logger: logger)
            } catch {
                printError("metrics.port: \(error)")
                throw ExitCodes.configError
            }
        }
        if let metrics {
            out.line("metrics=http://\(metrics.host):\(metrics.port)/metrics")
            out.line("dashboard=http://\(metrics.host):\(metrics.port)/")
        }
        out.flush()
        // The stages run as one swift-service-lifecycle group; SIGINT or SIGTERM shuts it down gracefully.
        let group = runners.serviceGroup(logger: logger)
        let work = Task { try await group.run() }
        let signals = Task {
            let sig = await TerminationSignal.wait()
            printError("received signal \(sig), checkpointing and stopping")
            await group.triggerGracefulShutdown()
        }
        defer { signals.cancel() }
        do {
            try await work.value
        } catch let failure as StageFailure {
            // Co-partitioning, Kafka unreachable (the topic check times out), a failed publish, a checkpoint that
            // cannot be written: all stop the stage with what happened; a restart resumes from the last checkpoint.
            printError(failure.description)
            await metrics?.stop()
            throw ExitCodes.runtimeFailure
        }
        for runner in runners { printError(runner.stopped()) }
        await metrics?.stop()
    }
}
