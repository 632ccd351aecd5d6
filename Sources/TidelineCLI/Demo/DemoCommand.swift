import ArgumentParser
import Dashboard
import Events
import Foundation
import Kafka
import Logging
import Pipeline
import Telemetry
import TidelineConfig

/// `tideline demo`: the whole loop on the embedded broker, in one process.
///
/// An embedded 3-broker cluster with Tideline's topics; the join, monitor and train stages exactly as
/// `tideline run` runs them (the demo's configuration: `--print-config`); a simulated prediction service that scores
/// synthetic requests with the latest model promoted on `model-updates` and publishes predictions and, after a
/// random delay (or never), labels; a concept drift at `--drift-at`. A live view follows what the stages publish,
/// and a closing summary says whether the loop closed: an alert after the drift, a promoted retrain, accuracy back.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole loop on the embedded broker: traffic, a drift, an alert, a retrain, a gated promotion, recovery.",
        discussion: """
            Everything runs in this process: an embedded Kafka cluster (librdkafka's mock brokers, over TCP), the \
            join, monitor and train stages, and a simulated prediction service. Event time follows the wall clock. \
            At --drift-at the world changes under the served model (feature x0 shifts, the click weights flip); the \
            monitor should alert, the trainer retrain and promote, the service pick up the new model and accuracy \
            recover. Exits 0 when the loop closed, 1 when it did not (the summary says what was missing).
            """
    )

    @Option(name: .long, help: "Seconds of traffic.")
    var duration: Int = 60
    @Option(name: .long, help: "Predictions per second.")
    var rate: Int = 1_000
    @Option(name: .long, help: "Random seed (features, labels, delays; the same seed gives the same world).")
    var seed: UInt64 = 7
    @Option(name: .long, help: "Seconds into the traffic when the drift begins.")
    var driftAt: Int = 25
    @Option(name: .long, help: "Also write the summary as JSON to this file.")
    var summaryJson: String?
    @Flag(name: .long, help: "Print the demo's configuration (YAML) and exit.")
    var printConfig = false
    @Option(name: .long, help: "Log level of the stages: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "critical"
    @Option(name: .long, help: "Serve the live dashboard, /metrics, /healthz and /readyz on this localhost port (0: any free port; if the port is taken, any free port is used).")
    var dashboardPort: Int = 9464
    @Flag(name: .long, help: "Do not serve the dashboard and metrics.")
    var noDashboard = false
    @Option(name: .long, help: "Seconds to keep the stages and the dashboard running after the summary (until then, or SIGINT/SIGTERM).")
    var linger: Int = 0
    @OptionGroup var topics: TopicsDirectoryOption

    func validate() throws {
        guard (10...600).contains(duration) else { throw ValidationError("--duration: must be between 10 and 600 seconds") }
        guard (100...20_000).contains(rate) else { throw ValidationError("--rate: must be between 100 and 20000 predictions per second") }
        guard driftAt >= 5 && driftAt < duration - 5 else {
            throw ValidationError("--drift-at: must be at least 5 and at most --duration − 5 seconds (\(duration - 5)), so there is traffic before and after it")
        }
        guard (0...65535).contains(dashboardPort) else { throw ValidationError("--dashboard-port: must be between 0 and 65535") }
        guard (0...86_400).contains(linger) else { throw ValidationError("--linger: must be between 0 and 86400 seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The demo's configuration: the same keys as `tideline.yaml`, with windows short enough for the loop to close
    /// in a minute. Brokers, state and model paths are set by the demo.
    static let configurationYAML = """
        # tideline demo's configuration (event time follows the wall clock; every window is seconds long).
        kafka: {client_id: tideline-demo}
        metrics: {enabled: false}
        join: {group: demo-join, idle_timeout: 2s, idle_slack: 1s, checkpoint_interval: 2s}
        monitor:
          group: demo-monitor
          idle_timeout: 2s
          checkpoint_interval: 2s
          defaults: {window: 5s, hop: 5s, allowed_lateness: 1s, label_lateness: 7s, min_window_events: 400}
          alerts:
            feature_drift: {severity: warning, for_windows: 1, resolve_after: 3, cooldown: 1m}
        train: {group: demo-train, checkpoint_interval: 2s}
        models:
          ctr:
            task: binary_classification
            join: {window: 5s, backward_window: 1s, grace: 500ms, default_label: false}
            train:
              model: logistic_regression
              optimizer: adagrad
              batch_size: 512
              mode: stateful
              triggers: {examples: 2048, on_drift: true}
              gate: {metric: log_loss, margin: 0.01, bootstrap_samples: 400}

        """

    func run() async throws {
        if printConfig {
            print(Self.configurationYAML, terminator: "")
            return
        }
        MetricsSystem.bootstrap()  // before the stages create their metrics
        var logger = Logger(label: "tideline.demo")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .critical
        let catalog = try topics.load()
        let cluster = try EmbeddedKafkaCluster(brokers: 3, logger: logger)
        for t in catalog.topics { try cluster.createTopic(t.spec(prefix: "", maxReplication: 3)) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config: TidelineConfiguration
        do {
            config = try TidelineConfiguration.parse(Self.configurationYAML, file: "the demo configuration", overrides: [
                ConfigOverride(path: "kafka.brokers", value: "[\"\(cluster.bootstrapServers)\"]"),
                ConfigOverride(path: "state.path", value: "\"\(dir.appendingPathComponent("state.sqlite").path)\""),
                ConfigOverride(path: "train.model_directory", value: "\"\(dir.appendingPathComponent("models").path)\""),
            ])
        } catch {
            printError("demo configuration: \(error)")
            throw ExitCodes.configError
        }
        print("Tideline demo: \(duration) s of traffic at \(rate) predictions/s, a drift at \(driftAt) s (seed \(seed))")
        print("  embedded Kafka: 3 brokers at \(cluster.bootstrapServers); topics \(catalog.topics.map(\.name).joined(separator: ", "))")
        let journal = DashboardJournal()
        let runners = try config.stageRunners(Set(PipelineStage.allCases), logger: logger, configName: "the demo configuration",
                                              onPublished: journal.handler) { print("  " + $0) }
        let dashboard = noDashboard ? nil : try await serveDashboard(runners: runners, journal: journal, groups: config.consumerGroups(Set(PipelineStage.allCases)), logger: logger)
        if let dashboard { print("  dashboard: http://\(dashboard.host):\(dashboard.port)/ (metrics: http://\(dashboard.host):\(dashboard.port)/metrics)") }
        print("  service: scores each request with the latest model promoted on model-updates (built-in model until then); " +
              "labels follow after ~1 s, 5% never (implicit negatives after the 5 s window)")
        print("  at \(driftAt) s: feature x0 shifts by +1.5 and the true click weights flip sign; the served model does not know")
        print("")
        fflush(nil)  // the live view writes to the file descriptor directly

        let stageError = Locked<(any Error)?>(nil)
        let group = runners.serviceGroup(logger: logger)
        let stages = Task {
            do { try await group.run() } catch { stageError.withLock { $0 = $0 ?? error } }
        }
        let service = SimulatedPredictionService(
            client: config.kafkaClient, predictionsTopic: config.topic("predictions"), labelsTopic: config.topic("labels"),
            model: "ctr", seed: seed, rate: rate, duration: Int64(duration) * 1_000, driftAt: Int64(driftAt) * 1_000)
        let slot = Locked<ServedModel?>(nil)
        let progress = Locked(ServiceProgress())
        let view = DemoView()

        func reader(_ names: [String]) throws -> KafkaConsumer {
            let consumer = try KafkaConsumer(configuration: .init(client: config.kafkaClient), logger: logger)
            try consumer.assign(names.flatMap { name in
                (0 ..< Int32(catalog.topic(name)?.partitions ?? 1)).map {
                    TopicPartitionOffset(topic: config.topic(name), partition: $0, offset: KafkaOffset.beginning)
                }
            })
            return consumer
        }
        let updatesReader = try reader(["model-updates"])
        let following = Task { await service.followPromotions(from: updatesReader, into: slot) }

        let clock = ContinuousClock.now
        let start = EventTime(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        let board = Locked(DemoScoreboard(start: start, driftAt: Int64(driftAt) * 1_000))
        let observer = try reader(["labeled-examples", "alerts", "model-updates"])
        let observing = Task {
            for await event in observer.events {
                guard case .messages(let batch) = event else { continue }
                let at = (ContinuousClock.now - clock).milliseconds
                for m in batch {
                    if m.topic == config.topic("labeled-examples") {
                        if let e = try? LabeledExample.decode(m.value) { board.withLock { $0.record(e) } }
                    } else if m.topic == config.topic("alerts") {
                        guard let a = try? AlertEvent.decode(m.value) else { continue }
                        board.withLock { $0.record(a, at: at) }
                        view.event(at: at, Self.describe(a))
                    } else if let u = try? ModelUpdateEvent.decode(m.value) {
                        board.withLock { $0.record(u, at: at) }
                        view.event(at: at, Self.describe(u))
                    }
                }
            }
        }
        let serving = Task { try await service.run(start: start, clock: clock, slot: slot, progress: progress, logger: logger) }

        // The live view, until the traffic is over and its last examples are in (or 20 s more have passed).
        var driftShown = false
        var drainStarted: ContinuousClock.Instant?
        var last = (at: clock, predictions: 0)
        var throughput = 0.0
        while stageError.value == nil {
            let now = ContinuousClock.now
            let elapsed = (now - clock).milliseconds
            let traffic = progress.value
            if traffic.hasDrifted && !driftShown {
                driftShown = true
                view.event(at: Int64(driftAt) * 1_000, "DRIFT  x0 shifts by +1.5 and the click weights flip; the service keeps serving \(slot.value?.version ?? "its built-in model")")
            }
            let sent = traffic.predictions
            if (now - last.at) >= .seconds(1) {
                throughput = Double(sent - last.predictions) / (now - last.at).seconds
                last = (now, sent)
            }
            let snapshot = board.value
            let trafficSeconds = min(Double(elapsed) / 1000, Double(duration))
            view.update(status: "[\(DemoView.clock(elapsed))] \(DemoView.bar(trafficSeconds / Double(duration))) \(Int(trafficSeconds))/\(duration) s" +
                        String(format: " · %.0f predictions/s", throughput) +
                        " · \(snapshot.examples) examples · accuracy \(DemoSummary.format(snapshot.currentAccuracy))" +
                        " · \(snapshot.openIncidents.count) open incidents · model \(snapshot.servedVersion ?? "builtin")")
            if traffic.trafficSent {
                let began = drainStarted ?? now
                drainStarted = began
                if snapshot.examples >= sent || now - began > .seconds(20) { break }
            }
            try? await Task.sleep(for: .milliseconds(view.interactive ? 250 : 500))
        }
        view.finish()

        serving.cancel()
        let serviceResult: Result<Void, any Error> = await serving.result
        func stopEverything() async {
            await group.triggerGracefulShutdown()
            await stages.value
            await updatesReader.close()
            await following.value
            await observer.close()
            await observing.value
            await dashboard?.stop()
        }
        if let error = stageError.value {
            await stopEverything()
            printError("demo: a stage stopped: \(error)")
            throw ExitCodes.runtimeFailure
        }
        if case .failure(let error) = serviceResult {
            await stopEverything()
            printError("demo: the prediction service stopped: \(error)")
            throw ExitCodes.runtimeFailure
        }
        let summary = board.withLock { $0.summary() }
        print("")
        let traffic = progress.value
        for line in Self.summaryLines(summary, predictions: traffic.predictions, labels: traffic.labels,
                                      failures: traffic.deliveryFailures) {
            print(line)
        }
        if let summaryJson {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try encoder.encode(summary).write(to: URL(fileURLWithPath: summaryJson)) } catch {
                printError("demo: cannot write \(summaryJson): \(error)")
                await stopEverything()
                throw ExitCodes.runtimeFailure
            }
        }
        if linger > 0, let dashboard {
            print("")
            print("The stages keep running for \(linger) s so the dashboard stays live: http://\(dashboard.host):\(dashboard.port)/ (Ctrl-C to stop now)")
            fflush(nil)
            await Self.waitForSignal(orSeconds: linger)
        }
        await stopEverything()
        if !summary.loopClosed { throw ExitCodes.runtimeFailure }
    }

    /// The dashboard on `--dashboard-port`, or on any free port when that one is taken.
    func serveDashboard(runners: [StageRunner], journal: DashboardJournal, groups: [String: String], logger: Logger) async throws -> OperationsServer {
        let ready: @Sendable () -> Bool = { runners.allSatisfy { $0.isReady() } }
        do {
            return try await OperationsServer(port: dashboardPort, readiness: ready, journal: journal, title: "tideline demo", stageGroups: groups, logger: logger)
        } catch {
            guard dashboardPort != 0 else { throw error }
            printError("demo: port \(dashboardPort) is taken; serving the dashboard on a free port instead")
            return try await OperationsServer(port: 0, readiness: ready, journal: journal, title: "tideline demo", stageGroups: groups, logger: logger)
        }
    }

    /// Returns after `seconds` or at SIGINT/SIGTERM, whichever comes first.
    static func waitForSignal(orSeconds seconds: Int) async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let signal = Task {
            _ = await TerminationSignal.wait()
            continuation.yield()
        }
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds))
            continuation.yield()
        }
        for await _ in stream { break }
        timer.cancel()
        _ = signal  // stays parked on the signal handler until the process exits
    }

    // MARK: Text

    static func describe(_ a: AlertEvent) -> String {
        let firstSentence = a.description.range(of: ". ").map { String(a.description[..<$0.lowerBound]) } ?? a.description
        if a.status == .resolved { return "RESOLVED \(a.kind.rawValue) \(a.model)/\(a.subject)" }
        return "ALERT  \(a.severity.rawValue) \(a.kind.rawValue) \(a.model)/\(a.subject): \(firstSentence)"
    }

    static func describe(_ u: ModelUpdateEvent) -> String {
        let reason = u.reason.map { $0.count > 110 ? String($0.prefix(110)) + "…" : $0 } ?? ""
        let verb = u.decision == .promoted ? "PROMOTED" : "rejected"
        return "MODEL  \(u.model) \(u.version) \(verb) (\(u.trigger.kind), \(u.data.exampleCount) examples): \(reason)"
    }

    static func summaryLines(_ s: DemoSummary, predictions: Int, labels: Int, failures: Int) -> [String] {
        func acc(_ t: DemoScoreboard.Tally) -> String { "\(DemoSummary.format(t.accuracy)) over \(t.total) labeled predictions" }
        func after(_ ms: Int64) -> String { String(format: "%.1f s", Double(ms - s.driftAt) / 1000) }
        var out = ["Summary"]
        out.append("  accuracy before the drift:     \(acc(s.accuracyBefore)) (the 15 s before it)")
        out.append("  accuracy after the drift:      \(acc(s.accuracyDuringDrift)) (until the retrained model was served)")
        if let a = s.firstAlert {
            out.append("  drift → first alert:           \(after(a.at)) (\(a.severity) \(a.kind) on \(a.subject))")
        } else {
            out.append("  drift → first alert:           none")
        }
        if let p = s.promotion {
            out.append("  drift → promoted retrain:      \(after(p.at)) (\(p.version), trigger \(p.trigger): \(p.reason.count > 100 ? String(p.reason.prefix(100)) + "…" : p.reason))")
        } else {
            out.append("  drift → promoted retrain:      none")
        }
        out.append("  accuracy after recovery:       \(acc(s.accuracyAfterRecovery)) (served by \(s.recoveredVersions.isEmpty ? "—" : s.recoveredVersions.joined(separator: ", ")))")
        out.append("  traffic: \(predictions) predictions, \(labels) labels, \(s.examples) labeled examples (\(s.corrections) corrections), \(failures) delivery failures")
        out.append("  alerts: \(s.alertsFiring) fired (\(s.alertsBeforeDrift) before the drift); model updates: \(s.promoted) promoted, \(s.rejected) rejected; serving \(s.finalVersion ?? "the built-in model") at the end")
        if s.loopClosed {
            out.append("The loop closed: the drift was detected, a retrained model passed the gate and was served, and accuracy came back.")
        } else {
            out.append("The loop did not close: " + s.notClosedBecause.joined(separator: "; ") + ".")
        }
        return out
    }
}
