import Alerts
public import Foundation
import Drift
public import Events
import Statistics

/// The monitor: a pure state machine over prediction events and labeled examples with explicit event time.
///
/// Events fall into per-model event-time windows (tumbling or sliding). A window closes when every active
/// partition of its input has moved `allowedLateness` past its end (so which events a window holds depends only
/// on the order within each partition, never on how partitions interleave); values are sampled by a hash of the
/// request id, not by arrival. At close the window is compared with the reference (features, prediction,
/// schema and expectations, the confidence-based accuracy estimate, item diversity; for labeled examples the
/// label distribution and realized performance, with ADWIN on the error stream), every subject yields a
/// signal, and the alert engine turns signals into incidents.
///
/// Not thread-safe; one instance per stage. `Codable`: a checkpoint is its encoding.
public struct MonitorOperator: Sendable, Codable {
    public let configuration: MonitorConfiguration
    public private(set) var statistics = MonitorStatistics()
    /// Alert incidents open now, per model (models without one are left out).
    public var openIncidents: [String: Int] { engine.openIncidentsByModel }
    private var models: [String: ModelState] = [:]
    private var predictionClocks = SmallSortedMap<Int32, Int64>()
    private var exampleClocks = SmallSortedMap<Int32, Int64>()
    private var idlePredictionPartitions: Set<Int32> = []
    private var idleExamplePartitions: Set<Int32> = []
    /// Partitions the stage holds: each holds windows open from the start, before its first event.
    private var assignedPredictionPartitions: Set<Int32> = []
    private var assignedExamplePartitions: Set<Int32> = []
    private var engine: AlertEngine
    /// The earliest event time at which some open window may close, per input (a watermark below it closes nothing).
    private var nextPredictionClose = Int64.max
    private var nextExampleClose = Int64.max
    /// Each model's policy, looked up once (derived from `configuration`; not encoded).
    private var runtimes: [String: ModelRuntime] = [:]
    /// The model of the previous event and where its state is (a lookup cache; not encoded). Any insertion into
    /// or removal from `models` clears it.
    private var hot: HotModel?
    /// Features of closed prediction windows, given up after evaluation: new windows reuse their sample storage
    /// (not state: not encoded).
    private var spareFeatures: [FeatureWindow] = []

    private enum CodingKeys: String, CodingKey {
        case configuration, statistics, models, predictionClocks, exampleClocks, idlePredictionPartitions, idleExamplePartitions
        case assignedPredictionPartitions, assignedExamplePartitions, engine, nextPredictionClose, nextExampleClose
    }

    /// A model's policy, shared by reference so that the hot path does not copy it per event.
    final class ModelRuntime: Sendable {
        let policy: MonitorPolicy
        init(policy: MonitorPolicy) { self.policy = policy }
    }

    struct HotModel: Sendable {
        let name: String
        let index: Dictionary<String, ModelState>.Index
        let runtime: ModelRuntime
    }

    /// `references`: stored reference windows for models with `reference: snapshot` (see
    /// `MonitorConfiguration.loadReferences`); they are compared against from the first window on.
    public init(configuration: MonitorConfiguration = MonitorConfiguration(), references: [String: PredictionWindow] = [:]) {
        self.configuration = configuration
        engine = AlertEngine(configuration: configuration.alerts)
        for (model, window) in references {
            var state = ModelState(adwin: try! ADWIN(delta: configuration.policy(for: model).adwinDelta))
            state.reference = Self.asReference(window)
            state.referenceVersion = window.dominantVersion
            models[model] = state
        }
    }

    struct ModelState: Sendable, Codable {
        /// Open windows by start (event time, or the index of the first event for count-based windows).
        var predictionWindows = SmallSortedMap<Int64, PredictionWindow>()
        var outcomeWindows = SmallSortedMap<Int64, OutcomeWindow>()
        /// Windows starting at or before this have closed.
        var predictionsClosedThrough = Int64.min
        var outcomesClosedThrough = Int64.min
        /// Events counted so far under count-based windows (nil: none yet, or event-time windows).
        var predictionsCounted: Int64?
        var examplesCounted: Int64?
        /// The data's reference: features, schema, item diversity. Under `fixed`, the first evaluated window, kept
        /// across promotions (a new model does not change what the world sends).
        var reference: PredictionWindow?
        /// The model's reference: the prediction distribution and estimated accuracy. Under `fixed`, replaced by the
        /// first window a new version dominates; nil: the data's reference serves.
        var modelReference: PredictionWindow?
        var referenceVersion: String?
        var referenceOutcome: OutcomeWindow?
        var adwin: ADWIN
        /// Prediction times of the examples at which ADWIN detected a change (a window holding one is flagged).
        var adwinDetections: [Int64] = []
        /// Every schema subject that ever breached: each window says whether it is clear, so incidents resolve.
        var knownSchemaSubjects: Set<String> = []
        /// Confidence-based accuracy estimates by window start (for reconciliation with realized accuracy).
        var estimates: [Int64: Double] = [:]
        /// Per-window expectation violations: "feature:problem" → count, by window start.
        var violations: [Int64: [String: Int]] = [:]
        var expectationsChecked: [Int64: [String: Int]] = [:]
    }

    /// The output of one step.
    public struct Output: Sendable {
        public var alerts: [AlertEvent] = []
        public var summaries: [WindowSummary] = []
        public init() {}
        public mutating func removeAll() { alerts.removeAll(keepingCapacity: true); summaries.removeAll(keepingCapacity: true) }
    }

    public enum Input: Sendable { case predictions, examples }

    // MARK: Snapshots

    /// The operator's whole state as bytes (JSON; infinities as strings), for checkpoints.
    public func snapshot() throws -> Data {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(self)
    }

    /// An operator restored from `snapshot()`.
    public static func restore(from snapshot: Data) throws -> MonitorOperator {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        var op = try d.decode(MonitorOperator.self, from: snapshot)
        for key in op.models.keys {  // sorted samples are derived, not saved: sort the references again
            op.models[key]!.reference = op.models[key]!.reference.map(asReference)
            op.models[key]!.modelReference = op.models[key]!.modelReference.map(asReference)
        }
        return op
    }

    /// A window prepared to be the reference of many comparisons: its samples sorted once.
    static func asReference(_ window: PredictionWindow) -> PredictionWindow {
        var r = window
        r.features.prepareSortedSamples()
        return r
    }

    // MARK: Input

    public mutating func process(_ p: PredictionEvent, partition: Int32, into out: inout Output) {
        statistics.predictions += 1
        let t = p.timestamp.milliseconds
        let ownClock = advanceClock(.predictions, partition: partition, to: t)
        let (index, runtime) = slot(p.model)
        let hash = HyperLogLog.hash(p.requestID)
        if let size = runtime.policy.windowEvents {
            // Count-based windows are evaluated as they fill: the state leaves the table meanwhile.
            let policy = runtime.policy
            hot = nil
            var state = models.remove(at: index).value
            let n = state.predictionsCounted ?? 0
            state.predictionsCounted = n + 1
            for start in Self.countWindowStarts(n, size: size, hop: policy.hopEvents ?? size) {
                var w = state.predictionWindows.removeValue(forKey: start)
                    ?? PredictionWindow(start: start, end: start + Int64(size), sampleCapacity: max(10_000, policy.drift.minimumSamples))
                w.add(p, hash: hash)
                if !policy.expectations.isEmpty { Self.check(p.features, policy, into: &state, start: start) }
                if w.count >= size {
                    state.predictionsClosedThrough = max(state.predictionsClosedThrough, start)
                    evaluate(w.spanningItsEvents, key: start, model: p.model, policy: policy, state: &state, into: &out)
                } else {
                    state.predictionWindows[start] = w
                }
            }
            models[p.model] = state
        } else if !Self.addToTimeWindows(p, hash: hash, ownClock: ownClock, runtime: runtime, state: &models.values[index],
                                         nextClose: &nextPredictionClose, spares: &spareFeatures) {
            statistics.latePredictions += 1
        }
        // The watermark is at most this partition's clock: below the next close time it closes nothing.
        if t > ownClock && t >= nextPredictionClose, let w = watermark(.predictions), w >= nextPredictionClose {
            closeWindows(.predictions, through: w, into: &out)
        }
    }

    /// Adds a prediction to the open event-time windows it falls in (opening them as needed); false when every
    /// one has closed (the event is late). Touches only the model's state, so that it can be mutated in place.
    private static func addToTimeWindows(_ p: PredictionEvent, hash: UInt64, ownClock: Int64, runtime: ModelRuntime,
                                         state: inout ModelState, nextClose: inout Int64, spares: inout [FeatureWindow]) -> Bool {
        let policy = runtime.policy
        return forEachOpenWindow(at: p.timestamp.milliseconds, policy, lateness: policy.allowedLatenessMilliseconds,
                                 closedThrough: state.predictionsClosedThrough, ownClock: ownClock) { start, end, closesAt in
            let index = windowIndex(start, in: &state.predictionWindows, closesAt: closesAt, nextClose: &nextClose) {
                let capacity = max(10_000, policy.drift.minimumSamples)
                return spares.isEmpty ? PredictionWindow(start: start, end: end, sampleCapacity: capacity)
                    : PredictionWindow(start: start, end: end, sampleCapacity: capacity, reusing: spares.removeLast())
            }
            state.predictionWindows.update(at: index) { $0.add(p, hash: hash) }
            if !policy.expectations.isEmpty { check(p.features, policy, into: &state, start: start) }
        }
    }

    /// Calls `body` with each event-time window that an event at `t` falls in and that is still open: not closed
    /// already (starting after `closedThrough`) and not past its close time (end + `lateness`) on the partition's
    /// clock. Returns whether there was any (false: the event is late). The one place that says which windows an
    /// event still enters, for both inputs.
    @inline(__always)
    private static func forEachOpenWindow(at t: Int64, _ policy: MonitorPolicy, lateness: Int64, closedThrough: Int64, ownClock: Int64,
                                          _ body: (_ start: Int64, _ end: Int64, _ closesAt: Int64) -> Void) -> Bool {
        var any = false
        for start in windowStarts(t, policy) {
            let end = start + policy.windowMilliseconds
            let closesAt = end + lateness
            if start <= closedThrough || (ownClock != Int64.min && ownClock >= closesAt) { continue }
            body(start, end, closesAt)
            any = true
        }
        return any
    }

    /// Where the window starting at `start` is in `windows`, opening it with `open` when absent (and lowering
    /// `nextClose` to its close time): one lookup for a window already open.
    private static func windowIndex<W>(_ start: Int64, in windows: inout SmallSortedMap<Int64, W>, closesAt: Int64, nextClose: inout Int64,
                                       open: () -> W) -> Int {
        windows.position(of: start) {
            nextClose = min(nextClose, closesAt)
            return open()
        }
    }

    /// Where `model`'s state is in `models` (created on first sight) and its policy: the previous event's model is
    /// cached, so that a run of events for one model looks nothing up.
    private mutating func slot(_ model: String) -> (Dictionary<String, ModelState>.Index, ModelRuntime) {
        if let hot, hot.name == model { return (hot.index, hot.runtime) }
        let runtime = runtime(model)
        var index = models.index(forKey: model)
        if index == nil {
            models[model] = ModelState(adwin: try! ADWIN(delta: runtime.policy.adwinDelta))
            index = models.index(forKey: model)
        }
        hot = HotModel(name: model, index: index!, runtime: runtime)
        return (index!, runtime)
    }

    private mutating func runtime(_ model: String) -> ModelRuntime {
        if let r = runtimes[model] { return r }
        let r = ModelRuntime(policy: configuration.policy(for: model))
        runtimes[model] = r
        return r
    }

    public mutating func process(_ e: LabeledExample, partition: Int32, into out: inout Output) {
        statistics.examples += 1
        let t = e.predictionTime.milliseconds
        let ownClock = advanceClock(.examples, partition: partition, to: t)
        let (index, runtime) = slot(e.model)
        if let size = runtime.policy.windowEvents, e.labelKind != .correction {
            // Count-based windows are evaluated as they fill: the state leaves the table meanwhile.
            let policy = runtime.policy
            hot = nil
            var state = models.remove(at: index).value
            Self.updateErrorStream(e, state: &state)
            let n = state.examplesCounted ?? 0
            state.examplesCounted = n + 1
            for start in Self.countWindowStarts(n, size: size, hop: policy.hopEvents ?? size) {
                var w = state.outcomeWindows.removeValue(forKey: start) ?? OutcomeWindow(start: start, end: start + Int64(size), sampleCapacity: 10_000)
                Self.add(e, to: &w)
                if w.count >= size {
                    state.outcomesClosedThrough = max(state.outcomesClosedThrough, start)
                    evaluate(w.spanningItsEvents, model: e.model, policy: policy, state: &state, into: &out)
                } else {
                    state.outcomeWindows[start] = w
                }
            }
            models[e.model] = state
        } else if !Self.addToTimeWindows(e, ownClock: ownClock, runtime: runtime, state: &models.values[index], nextClose: &nextExampleClose),
                  e.labelKind != .correction {
            statistics.lateExamples += 1
        }
        if t > ownClock && t >= nextExampleClose, let w = watermark(.examples), w >= nextExampleClose { closeWindows(.examples, through: w, into: &out) }
    }

    /// The error stream, in the order of the examples topic (one partition per model): ADWIN sees every example
    /// but corrections (which supersede an implicit example already seen).
    private static func updateErrorStream(_ e: LabeledExample, state: inout ModelState) {
        if e.labelKind != .correction, let error = error(prediction: e.prediction, label: e.label) {
            state.adwin.update(error)
            if state.adwin.driftDetected { state.adwinDetections.append(e.predictionTime.milliseconds) }
        }
    }

    /// Feeds the error stream and adds a labeled example to the open event-time windows it falls in (opening
    /// them as needed); false when it entered none (late, or a correction: windows count each request once).
    /// Touches only the model's state, so that it can be mutated in place.
    private static func addToTimeWindows(_ e: LabeledExample, ownClock: Int64, runtime: ModelRuntime, state: inout ModelState,
                                         nextClose: inout Int64) -> Bool {
        updateErrorStream(e, state: &state)
        guard e.labelKind != .correction else { return false }
        let policy = runtime.policy
        return forEachOpenWindow(at: e.predictionTime.milliseconds, policy, lateness: policy.labelLatenessMilliseconds,
                                 closedThrough: state.outcomesClosedThrough, ownClock: ownClock) { start, end, closesAt in
            let index = windowIndex(start, in: &state.outcomeWindows, closesAt: closesAt, nextClose: &nextClose) {
                OutcomeWindow(start: start, end: end, sampleCapacity: 10_000)
            }
            state.outcomeWindows.update(at: index) { add(e, to: &$0) }
        }
    }

    /// Adds one labeled example (not a correction) to one window.
    private static func add(_ e: LabeledExample, to w: inout OutcomeWindow) {
        let t = e.predictionTime.milliseconds
        w.count += 1
        w.eventTimeRange = w.eventTimeRange.map { min($0.lowerBound, t)...max($0.upperBound, t) } ?? t...t
        switch e.label {
        case .number(let x): w.labels.addNumber(x, hash: HyperLogLog.hash(e.requestID))
        case .bool(let b): w.labels.addCategory(b ? "true" : "false", isBoolean: true)
        case .string(let s): w.labels.addCategory(s)
        }
        addPerformance(prediction: e.prediction, label: e.label, to: &w.performance)
        w.withGroup(version: e.modelVersion, variant: e.variant) { addPerformance(prediction: e.prediction, label: e.label, to: &$0) }
    }

    /// Declares the partitions of an input this operator is fed (the stage calls this on assignment): windows
    /// then wait for every one of them, including those that have not delivered yet. Without it, only
    /// partitions that have delivered count.
    public mutating func assign(_ input: Input, partitions: [Int32]) {
        switch input {
        case .predictions: assignedPredictionPartitions.formUnion(partitions)
        case .examples: assignedExamplePartitions.formUnion(partitions)
        }
    }

    /// Removes partitions this operator is no longer fed (revoked) from the watermark.
    public mutating func unassign(_ input: Input, partitions: [Int32], into out: inout Output) {
        switch input {
        case .predictions:
            assignedPredictionPartitions.subtract(partitions)
            for p in partitions { predictionClocks[p] = nil }
        case .examples:
            assignedExamplePartitions.subtract(partitions)
            for p in partitions { exampleClocks[p] = nil }
        }
        closeWindows(input, into: &out)
    }

    /// Marks a partition idle (the stage calls this after the idle timeout): it stops holding windows open
    /// until it delivers again.
    public mutating func markIdle(_ input: Input, partition: Int32, into out: inout Output) {
        switch input {
        case .predictions: idlePredictionPartitions.insert(partition)
        case .examples: idleExamplePartitions.insert(partition)
        }
        closeWindows(input, into: &out)
    }

    /// Closes every open window (end of a replay or a backtest).
    public mutating func flush(into out: inout Output) {
        closeWindows(.predictions, through: .max, into: &out)
        closeWindows(.examples, through: .max, into: &out)
    }

    // MARK: Windows

    /// Moves a partition's clock forward to `t` (never back) and marks it active; returns the clock before.
    private mutating func advanceClock(_ input: Input, partition: Int32, to t: Int64) -> Int64 {
        switch input {
        case .predictions:
            let before = Self.advance(&predictionClocks, partition: partition, to: t)
            if !idlePredictionPartitions.isEmpty { idlePredictionPartitions.remove(partition) }
            return before
        case .examples:
            let before = Self.advance(&exampleClocks, partition: partition, to: t)
            if !idleExamplePartitions.isEmpty { idleExamplePartitions.remove(partition) }
            return before
        }
    }

    /// Moves one clock forward to `t` (never back), with one search; returns it before (`Int64.min`: none yet).
    private static func advance(_ clocks: inout SmallSortedMap<Int32, Int64>, partition: Int32, to t: Int64) -> Int64 {
        let i = clocks.position(of: partition) { Int64.min }
        return clocks.update(at: i) { clock in
            defer { clock = max(clock, t) }
            return clock
        }
    }

    static func windowStarts(_ t: Int64, _ policy: MonitorPolicy) -> StrideThrough<Int64> {
        let hop = policy.hopMilliseconds, size = policy.windowMilliseconds
        let last = floorDiv(t, hop) * hop
        let first = floorDiv(t - size, hop) * hop + hop
        return Swift.stride(from: first, through: last, by: Int(hop))
    }

    /// The count-based windows (keyed by the index of their first event) that the model's `n`-th event (from 0)
    /// falls in: every window is full, so none starts before event 0.
    static func countWindowStarts(_ n: Int64, size: Int, hop: Int) -> StrideThrough<Int64> {
        let last = n / Int64(hop) * Int64(hop)
        let first = max(0, floorDiv(n - Int64(size), Int64(hop)) * Int64(hop) + Int64(hop))
        return Swift.stride(from: first, through: last, by: hop)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    private func watermark(_ input: Input) -> Int64? {
        let clocks = input == .predictions ? predictionClocks : exampleClocks
        let idle = input == .predictions ? idlePredictionPartitions : idleExamplePartitions
        let assigned = input == .predictions ? assignedPredictionPartitions : assignedExamplePartitions
        // An assigned, active partition that has not delivered yet holds every window open.
        for p in assigned where clocks[p] == nil && !idle.contains(p) { return nil }
        var w: Int64? = nil
        for (p, c) in zip(clocks.keys, clocks.values) where !idle.contains(p) { w = min(w ?? c, c) }
        if w == nil, !clocks.isEmpty { w = clocks.values.max() }  // every partition idle: the furthest clock
        return w
    }

    private mutating func closeWindows(_ input: Input, into out: inout Output) {
        guard let w = watermark(input) else { return }
        closeWindows(input, through: w, into: &out)
    }

    private mutating func closeWindows(_ input: Input, through watermark: Int64, into out: inout Output) {
        var nextClose = Int64.max
        for model in models.keys.sorted() {
            let policy = configuration.policy(for: model)
            // Count-based windows close when full; only the end of the input (flush) closes them early.
            if policy.windowEvents != nil && watermark != .max { continue }
            hot = nil
            var state = models.removeValue(forKey: model)!
            let lateness = input == .predictions ? policy.allowedLatenessMilliseconds : policy.labelLatenessMilliseconds
            let starts = input == .predictions ? state.predictionWindows.keys : state.outcomeWindows.keys  // ascending
            for start in starts {
                let end = start + policy.windowMilliseconds
                guard watermark == .max || end + lateness <= watermark else {
                    nextClose = min(nextClose, end + lateness)
                    break
                }
                if input == .predictions {
                    var window = state.predictionWindows.removeValue(forKey: start)!
                    if policy.windowEvents != nil { window = window.spanningItsEvents }
                    state.predictionsClosedThrough = max(state.predictionsClosedThrough, start)
                    evaluate(window, key: start, model: model, policy: policy, state: &state, into: &out)
                    if spareFeatures.count < 4 { spareFeatures.append(window.features) }
                } else {
                    var window = state.outcomeWindows.removeValue(forKey: start)!
                    if policy.windowEvents != nil { window = window.spanningItsEvents }
                    state.outcomesClosedThrough = max(state.outcomesClosedThrough, start)
                    evaluate(window, model: model, policy: policy, state: &state, into: &out)
                }
            }
            models[model] = state
        }
        if input == .predictions { nextPredictionClose = nextClose } else { nextExampleClose = nextClose }
    }

    // MARK: Evaluation

    /// `key`: the window's key while open (its start: event time, or the index of its first event when count-based).
    private mutating func evaluate(_ w: PredictionWindow, key: Int64, model: String, policy: MonitorPolicy, state: inout ModelState, into out: inout Output) {
        let violations = state.violations.removeValue(forKey: key) ?? [:]
        let checked = state.expectationsChecked.removeValue(forKey: key) ?? [:]
        var summary = WindowSummary(model: model, input: .predictions, start: w.start, end: w.end, count: w.count, outcome: .skipped,
                                    modelVersion: w.dominantVersion, breaches: [], metrics: [:])
        if let e = w.estimatedAccuracy { summary.metrics["estimated_accuracy"] = e; state.estimates[w.start] = e }
        while state.estimates.count > 64, let oldest = state.estimates.keys.min() { state.estimates.removeValue(forKey: oldest) }
        if w.items.total > 0 {
            summary.metrics["item_entropy"] = w.items.entropy
            summary.metrics["item_gini"] = w.items.gini
            summary.metrics["item_distinct"] = Double(w.items.distinct)
        }
        guard w.count >= policy.minimumWindowEvents else {
            statistics.windowsSkipped += 1
            out.summaries.append(summary)
            return
        }
        guard let reference = state.reference else {
            state.reference = Self.asReference(w)
            state.referenceVersion = w.dominantVersion
            summary.outcome = .reference
            out.summaries.append(summary)
            return
        }
        // A new dominant version (a promotion) starts its own prediction reference with this window; the features
        // keep theirs, so continual training does not blind feature-drift detection.
        var modelReference = state.modelReference ?? reference
        let newVersion = policy.reference == .fixed && w.dominantVersion != state.referenceVersion
        if newVersion {
            modelReference = Self.asReference(w)
            state.modelReference = modelReference
            state.referenceVersion = w.dominantVersion
        }
        statistics.windowsEvaluated += 1
        summary.outcome = .evaluated
        var signals: [AlertSignal] = []
        let window = w.alertWindow, referenceWindow = reference.alertWindow
        // Drift of features and the prediction.
        let report = DriftComparison.compare(reference: reference.features, current: w.features, predictionReference: modelReference.features.predictions,
                                             includePrediction: !newVersion, policy: policy.drift)
        for row in report.rows {
            summary.drift.append(DriftMeasurement(subject: row.subject, test: row.test, statistic: row.effect, pValue: row.adjustedPValue,
                                                  threshold: row.effectThreshold, verdict: row.verdict.rawValue))
            let kind: AlertEvent.Kind = row.subject == "prediction" ? .predictionDrift : .featureDrift
            let level: AlertSignal.Level
            switch row.verdict {
            case .insufficient: level = .between
            case .drift: level = .breach
            case .stable: level = row.adjustedPValue >= policy.drift.alpha || row.effect < policy.resolveRatio * row.effectThreshold ? .clear : .between
            }
            signals.append(AlertSignal(model: model, kind: kind, subject: row.subject, detector: row.test == "ks" ? "ks_2samp" : "chi2",
                                       level: level, statistic: row.effect, pValue: row.adjustedPValue, threshold: row.effectThreshold,
                                       window: window, reference: kind == .predictionDrift ? modelReference.alertWindow : referenceWindow,
                                       eventTime: w.end, details: Self.driftDetails(row, kind: kind)))
        }
        // Schema: inferred from the reference, and configured expectations.
        var schemaNow: [String: (Double, Double, String)] = [:]
        for f in report.schema { schemaNow["\(f.subject):\(f.problem.rawValue)"] = (f.value, f.threshold, f.detail) }
        for (subject, n) in violations {
            let total = checked[String(subject.split(separator: ":")[0])] ?? w.count
            let share = Double(n) / Double(max(total, 1))
            if share >= policy.maxViolationShare {
                schemaNow[subject] = (share, policy.maxViolationShare, "\(Self.percent(share)) of values violate the configured expectation")
            }
        }
        for (subject, finding) in schemaNow.sorted(by: { $0.key < $1.key }) {
            let feature = String(subject.split(separator: ":")[0])
            signals.append(AlertSignal(model: model, kind: .schema, subject: subject, detector: "schema", level: .breach,
                                       statistic: finding.0, threshold: finding.1, window: window, reference: referenceWindow, eventTime: w.end,
                                       details: ["what": "Schema problem in feature \(feature): \(finding.2)",
                                                 "how_far": "", "check": "the producer's feature payload for \(feature) (a renamed, dropped or retyped field, or a new client version)"]))
        }
        for subject in state.knownSchemaSubjects.subtracting(schemaNow.keys).sorted() {
            signals.append(AlertSignal(model: model, kind: .schema, subject: subject, detector: "schema", level: .clear,
                                       statistic: 0, threshold: nil, window: window, reference: referenceWindow, eventTime: w.end))
        }
        state.knownSchemaSubjects.formUnion(schemaNow.keys)
        // Label-free performance estimate for calibrated binary classifiers.
        if !newVersion, let estimate = w.estimatedAccuracy, let referenceEstimate = modelReference.estimatedAccuracy {
            let drop = referenceEstimate - estimate
            let level: AlertSignal.Level = drop >= policy.estimatedAccuracyDrop ? .breach : drop < policy.estimatedAccuracyDrop * policy.resolveRatio ? .clear : .between
            signals.append(AlertSignal(model: model, kind: .performance, subject: "estimated_accuracy", detector: "cbpe", level: level,
                                       statistic: estimate, threshold: referenceEstimate - policy.estimatedAccuracyDrop, window: window,
                                       reference: modelReference.alertWindow, eventTime: w.end, details: [
                                        "what": "Estimated accuracy (from prediction confidence, labels pending) fell",
                                        "how_far": "Expected accuracy \(Self.decimal(estimate)) vs \(Self.decimal(referenceEstimate)) in the reference.",
                                        "check": "whether inputs shifted (see feature drift alerts) and whether the model is still calibrated"]))
        }
        // Degenerate feedback loops: item diversity.
        if reference.items.total > 0 && w.items.total > 0 {
            let r = reference.items.entropy, c = w.items.entropy
            let fall = r > 0 ? (r - c) / r : 0
            let level: AlertSignal.Level = fall >= policy.maxEntropyDrop ? .breach : fall < policy.maxEntropyDrop * policy.resolveRatio ? .clear : .between
            signals.append(AlertSignal(model: model, kind: .feedbackLoop, subject: "item_id", detector: "entropy", level: level,
                                       statistic: c, threshold: r * (1 - policy.maxEntropyDrop), window: window, reference: referenceWindow,
                                       eventTime: w.end, details: [
                                        "what": "Recommendations are narrowing",
                                        "how_far": "Item entropy \(Self.decimal(c)) bits vs \(Self.decimal(r)) (\(Self.percent(fall)) lower); \(w.items.distinct) distinct items vs \(reference.items.distinct); Gini \(Self.decimal(w.items.gini)).",
                                        "check": "whether training data comes mostly from the model's own recommendations (add exploration or popularity correction)"]))
        }
        if policy.reference == .previous { state.reference = Self.asReference(w); state.modelReference = nil; state.referenceVersion = w.dominantVersion }
        summary.breaches = signals.filter { $0.level == .breach }.map { "\($0.kind.rawValue):\($0.subject)" }
        out.summaries.append(summary)
        emit(signals, into: &out)
    }

    private mutating func evaluate(_ w: OutcomeWindow, model: String, policy: MonitorPolicy, state: inout ModelState, into out: inout Output) {
        var summary = WindowSummary(model: model, input: .examples, start: w.start, end: w.end, count: w.count, outcome: .skipped,
                                    modelVersion: nil, breaches: [], metrics: Self.metrics(w.performance))
        for (group, p) in w.byVersionAndVariant { if let a = p.accuracy { summary.metrics["accuracy[\(group)]"] = a } }
        if let e = state.estimates[w.start] { summary.metrics["estimated_accuracy"] = e }
        let minimum = max(policy.minimumWindowEvents / 5, 50)
        guard w.count >= minimum else {
            statistics.windowsSkipped += 1
            out.summaries.append(summary)
            return
        }
        guard let reference = state.referenceOutcome else {
            state.referenceOutcome = w
            summary.outcome = .reference
            out.summaries.append(summary)
            state.adwinDetections.removeAll { $0 < w.end }
            return
        }
        let adwinDetected = state.adwinDetections.contains { $0 >= w.start && $0 < w.end }
        state.adwinDetections.removeAll { $0 < w.end }
        statistics.windowsEvaluated += 1
        summary.outcome = .evaluated
        var signals: [AlertSignal] = []
        let window = w.alertWindow, referenceWindow = reference.alertWindow
        if let row = DriftComparison.compare(subject: "label", reference: reference.labels, current: w.labels, policy: policy.drift) {
            summary.drift.append(DriftMeasurement(subject: row.subject, test: row.test, statistic: row.effect, pValue: row.pValue,
                                                  threshold: row.effectThreshold, verdict: row.verdict.rawValue))
            let level: AlertSignal.Level = switch row.verdict {
            case .insufficient: .between
            case .drift: .breach
            case .stable: row.pValue >= policy.drift.alpha || row.effect < policy.resolveRatio * row.effectThreshold ? .clear : .between
            }
            signals.append(AlertSignal(model: model, kind: .labelDrift, subject: "label", detector: row.test == "ks" ? "ks_2samp" : "chi2",
                                       level: level, statistic: row.effect, pValue: row.pValue, threshold: row.effectThreshold,
                                       window: window, reference: referenceWindow, eventTime: w.end, details: Self.driftDetails(row, kind: .labelDrift)))
        }
        if let current = w.performance.errorRate, let base = reference.performance.errorRate {
            var floors: [String] = []
            if let m = policy.minimumAccuracy, let a = w.performance.accuracy, a < m { floors.append("accuracy \(Self.decimal(a)) < \(m)") }
            if let m = policy.maximumLogLoss, let l = w.performance.logLoss, l > m { floors.append("log loss \(Self.decimal(l)) > \(m)") }
            if let m = policy.minimumAUC, let a = w.performance.auc, a < m { floors.append("AUC \(Self.decimal(a)) < \(m)") }
            let limit = base * (1 + policy.errorIncreaseMargin)
            let worse = adwinDetected && current > limit
            let level: AlertSignal.Level = worse || !floors.isEmpty ? .breach
                : current <= base * (1 + policy.errorIncreaseMargin / 2) ? .clear : .between
            var how = "Error \(Self.decimal(current)) vs \(Self.decimal(base)) in the reference window"
            if let e = state.estimates[w.start], let a = w.performance.accuracy { how += "; realized accuracy \(Self.decimal(a)) vs \(Self.decimal(e)) estimated from confidence" }
            if !floors.isEmpty { how += "; " + floors.joined(separator: ", ") }
            signals.append(AlertSignal(model: model, kind: .performance, subject: "error_rate", detector: adwinDetected ? "adwin" : "threshold",
                                       level: level, statistic: current, threshold: limit, window: window, reference: referenceWindow,
                                       eventTime: w.end, details: [
                                        "what": "Model performance degraded", "how_far": how + ".",
                                        "check": "recent model promotions (roll back if the new version is worse), then feature and label drift alerts for the same window"]))
        }
        summary.breaches = signals.filter { $0.level == .breach }.map { "\($0.kind.rawValue):\($0.subject)" }
        out.summaries.append(summary)
        emit(signals, into: &out)
    }

    private mutating func emit(_ signals: [AlertSignal], into out: inout Output) {
        statistics.signals += signals.count
        let before = out.alerts.count
        for s in signals { engine.process(s, into: &out.alerts) }
        statistics.alerts += out.alerts.count - before
    }

    // MARK: Helpers

    static func check(_ features: FeatureVector, _ policy: MonitorPolicy, into state: inout ModelState, start: Int64) {
        var seen: Set<String> = []
        for f in features {
            guard let e = policy.expectations[f.name] else { continue }
            seen.insert(f.name)
            state.expectationsChecked[start, default: [:]][f.name, default: 0] += 1
            var problems: [String] = []
            switch f.value {
            case .null:
                if e.maxNullRate == 0 { problems.append("null") }
            case .number(let x):
                if let t = e.type, t != .number { problems.append("type") }
                if let m = e.minimum, x < m { problems.append("range") }
                if let m = e.maximum, x > m { problems.append("range") }
            case .string(let s):
                if let t = e.type, t != .string { problems.append("type") }
                if let allowed = e.allowed, !allowed.contains(s) { problems.append("allowed") }
                if let pattern = e.pattern, let regex = try? Regex(pattern), (try? regex.wholeMatch(in: s)) == nil { problems.append("pattern") }
            case .bool(let b):
                if let t = e.type, t != .boolean { problems.append("type") }
                if let allowed = e.allowed, !allowed.contains(b ? "true" : "false") { problems.append("allowed") }
            }
            for p in Set(problems) { state.violations[start, default: [:]]["\(f.name):\(p)", default: 0] += 1 }
        }
        for (name, e) in policy.expectations where !seen.contains(name) && e.maxNullRate == 0 {
            state.expectationsChecked[start, default: [:]][name, default: 0] += 1
            state.violations[start, default: [:]]["\(name):null", default: 0] += 1
        }
    }

    static func error(prediction: PredictionValue, label: LabelValue) -> Double? {
        switch (prediction, label) {
        case (.score(let s), .bool(let b)): return (s >= 0.5) == b ? 0 : 1
        case (.score(let s), .number(let y)) where (y == 0 || y == 1) && s >= 0 && s <= 1: return (s >= 0.5) == (y == 1) ? 0 : 1
        case (.score(let s), .number(let y)): return abs(s - y)
        case (.label(let p), .string(let y)): return p == y ? 0 : 1
        case (.label(let p), .bool(let b)): return p == (b ? "true" : "false") ? 0 : 1
        default: return nil
        }
    }

    static func addPerformance(prediction: PredictionValue, label: LabelValue, to acc: inout PerformanceAccumulator) {
        switch (prediction, label) {
        case (.score(let s), .bool(let b)): acc.addBinary(score: s, positive: b)
        case (.score(let s), .number(let y)) where (y == 0 || y == 1) && s >= 0 && s <= 1: acc.addBinary(score: s, positive: y == 1)
        case (.score(let s), .number(let y)): acc.addRegression(predicted: s, actual: y)
        case (.label(let p), .string(let y)): acc.addClass(predicted: p, actual: y)
        case (.label(let p), .bool(let b)): acc.addClass(predicted: p, actual: b ? "true" : "false")
        default: break
        }
    }

    static func metrics(_ p: PerformanceAccumulator) -> [String: Double] {
        var m: [String: Double] = [:]
        m["accuracy"] = p.accuracy; m["log_loss"] = p.logLoss; m["auc"] = p.auc; m["precision"] = p.precision
        m["recall"] = p.recall; m["f1"] = p.f1; m["mae"] = p.meanAbsoluteError; m["rmse"] = p.rootMeanSquaredError
        return m
    }

    static func driftDetails(_ row: DriftReport.Row, kind: AlertEvent.Kind) -> [String: String] {
        let name = kind == .predictionDrift ? "The prediction distribution" : kind == .labelDrift ? "The label distribution" : "Feature \(row.subject)"
        var how: String
        if row.type == "numeric" {
            how = "KS D = \(decimal(row.effect)) (alerting at \(decimal(row.effectThreshold)))"
            if let rm = row.referenceMean, let cm = row.currentMean, let sd = row.referenceStandardDeviation, sd > 0 {
                how += "; mean \(decimal(rm)) → \(decimal(cm)) (\(decimal((cm - rm) / sd)) reference σ)"
            }
            if let psi = row.psi { how += "; PSI \(decimal(psi))" }
            how += "; \(row.detail)."
        } else {
            how = "Jensen–Shannon distance \(decimal(row.effect)) (alerting at \(decimal(row.effectThreshold))); \(row.detail)."
        }
        let check = switch kind {
        case .featureDrift: "the upstream source of \(row.subject): recent deploys of the service or feature pipeline that computes it, a unit or encoding change, or a new traffic segment"
        case .predictionDrift: "feature drift alerts for the same window, then recent model promotions"
        default: "the labeling source (instrumentation of clicks or outcomes) and the attribution window"
        }
        return ["what": "\(name) drifted", "how_far": how, "check": check]
    }

    static func decimal(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        return String((x * 1000).rounded() / 1000)
    }

    static func percent(_ x: Double) -> String { "\((x * 1000).rounded() / 10)%" }
}
