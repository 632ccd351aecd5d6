public import Events
public import LabelJoin
public import Monitoring
public import Training

/// What a backtest runs: the operators' configurations, as `tideline run` would build them from a config file.
public struct BacktestSetup: Sendable {
    public var join: JoinConfiguration
    public var monitor: MonitorConfiguration
    public var references: [String: PredictionWindow]
    public var trainers: [String: TrainerConfiguration]
    /// The task of every configured model; a model not named here is treated as binary classification.
    public var tasks: [String: LearningTask]
    /// Run the monitor (its alerts are the drift trigger of the trainers).
    public var monitoring: Bool
    /// Keep every labeled example the join emits in `BacktestResult.labeledExamples` (for publishing a replay).
    public var keepExamples = false

    public init(join: JoinConfiguration, monitor: MonitorConfiguration = MonitorConfiguration(), references: [String: PredictionWindow] = [:],
                trainers: [String: TrainerConfiguration] = [:], tasks: [String: LearningTask] = [:], monitoring: Bool = true) {
        self.join = join
        self.monitor = monitor
        self.references = references
        self.trainers = trainers
        self.tasks = tasks
        self.monitoring = monitoring
    }
}

/// One scored example of a backtest: when the prediction was made (ms), the target, the score production served
/// (from the event) and the score of this configuration's champion at that moment (NaN when there was none).
public struct ScoredExample: Sendable, Hashable {
    public var time: Int64
    public var target: Double
    public var served: Double
    public var champion: Double
}

/// What happened in one backtest run.
public struct BacktestResult: Sendable {
    public var join = JoinStatistics()
    /// Predictions still inside their attribution window when the input ended (no example yet).
    public var pendingAtEnd = 0
    /// Events skipped because they named more distinct models than one join operator holds
    /// (`LabelJoinOperator.maxModels`; the join stage dead-letters them).
    public var overModelLimit = 0
    public var examples = 0
    /// The labeled examples in the order the join emitted them, when `BacktestSetup.keepExamples` is set.
    public var labeledExamples: [LabeledExample] = []
    public var alerts: [AlertEvent] = []
    public var updates: [ModelUpdateEvent] = []
    /// Per model, in event order.
    public var scored: [String: [ScoredExample]] = [:]
    public var tasks: [String: LearningTask] = [:]
    /// Per trained model, the trainer's counters at the end.
    public var trainerStatistics: [String: TrainerStatistics] = [:]
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?
}

/// The pipeline of `tideline run` (join → monitor → train) as one deterministic function of its input events:
/// events are read in `BacktestEvent.inReplayOrder`, every operator runs on event time only, and alerts reach the
/// trainers as they are raised. The same events and setup give the same result, bit for bit.
///
/// Labeled examples are numbered in the order the join emits them; lineage in model updates names them as
/// `labeled-examples` partition 0 at that number.
public struct BacktestPipeline: Sendable {
    public let setup: BacktestSetup

    public init(setup: BacktestSetup) { self.setup = setup }

    public enum Failure: Error, CustomStringConvertible {
        case undecodableExample(String)
        public var description: String {
            switch self { case .undecodableExample(let why): "the join produced an example that does not decode: \(why)" }
        }
    }

    /// Runs the pipeline over `events` (any order; they are sorted). `progress(done, total)` is called every
    /// 10,000 events.
    public func run(_ events: [BacktestEvent], progress: ((Int, Int) -> Void)? = nil) throws(Failure) -> BacktestResult {
        let ordered = events.sorted(by: BacktestEvent.inReplayOrder)
        var result = BacktestResult()
        result.tasks = setup.tasks
        var join = LabelJoinOperator(configuration: setup.join)
        var monitor = MonitorOperator(configuration: setup.monitor, references: setup.references)
        monitor.assign(.predictions, partitions: [0])
        monitor.assign(.examples, partitions: [0])
        var trainers: [String: ModelTrainer] = [:]
        for (name, configuration) in setup.trainers { trainers[name] = ModelTrainer(model: name, configuration: configuration) }
        let trainerNames = trainers.keys.sorted()
        var joinOutput = JoinOutput()
        var monitorOutput = MonitorOperator.Output()
        var trainerOutput = TrainerOutput()

        func deliverAlerts() {
            for alert in monitorOutput.alerts {
                result.alerts.append(alert)
                for name in trainerNames { trainers[name]!.process(alert) }
            }
            monitorOutput.removeAll()
        }

        func drainJoin() throws(Failure) {
            guard !joinOutput.records.isEmpty else { return }
            let examples: [LabeledExample]
            do { examples = try joinOutput.examples() } catch { throw .undecodableExample(error.description) }
            joinOutput.removeAll()
            if setup.keepExamples { result.labeledExamples.append(contentsOf: examples) }
            for example in examples {
                let number = Int64(result.examples)
                result.examples += 1
                if setup.monitoring {
                    monitor.process(example, partition: 0, into: &monitorOutput)
                    deliverAlerts()
                }
                var champion = Double.nan
                var target: Double?
                if var trainer = trainers.removeValue(forKey: example.model) {
                    trainer.process(example, source: .init(topic: "labeled-examples", partition: 0, offset: number), into: &trainerOutput)
                    if let live = trainer.lastLiveScore { champion = live.score; target = live.target } else { target = trainer.target(example.label) }
                    trainers[example.model] = trainer
                    result.updates.append(contentsOf: trainerOutput.updates)
                    trainerOutput.removeAll()
                } else {
                    target = ModelTrainer.target(example.label, task: setup.tasks[example.model] ?? .binaryClassification, positiveLabel: nil)
                }
                guard let target else { continue }
                let served: Double = if case .score(let s) = example.prediction { s } else { .nan }
                result.scored[example.model, default: []].append(
                    ScoredExample(time: example.predictionTime.milliseconds, target: target, served: served, champion: champion))
            }
        }

        for (i, event) in ordered.enumerated() {
            if result.firstEventTime == nil { result.firstEventTime = event.time }
            result.lastEventTime = max(result.lastEventTime ?? event.time, event.time)
            let model: String? = switch event.payload {
            case .prediction(let p): p.model
            case .label(let l): l.model
            }
            if let model, !join.admits(model: model) {
                result.overModelLimit += 1
                continue
            }
            switch event.payload {
            case .prediction(let p):
                join.process(p, recordTimestamp: nil, into: &joinOutput)
                if setup.monitoring {
                    monitor.process(p, partition: 0, into: &monitorOutput)
                    deliverAlerts()
                }
            case .label(let l):
                join.process(l, recordTimestamp: nil, into: &joinOutput)
            }
            try drainJoin()
            if let progress, (i + 1) % 10_000 == 0 { progress(i + 1, ordered.count) }
        }
        if setup.monitoring {
            monitor.flush(into: &monitorOutput)
            deliverAlerts()
        }
        progress?(ordered.count, ordered.count)
        result.join = join.statistics
        result.pendingAtEnd = join.openPredictions
        for name in trainerNames { result.trainerStatistics[name] = trainers[name]!.statistics }
        return result
    }

}
