public import Events
import Drift
import Foundation
import Statistics

/// One model's trainer: a deterministic state machine over `labeled-examples` (in partition order), `alerts`
/// and `model-commands`, in event time. It deduplicates examples by `event_id`, holds out a hash-chosen share,
/// learns micro-batches (stateful) or retains a window (stateless), checks triggers at every batch boundary,
/// runs the evaluation gate, and emits `model-update` events with lineage and the checkpoint files they name.
/// After a promotion it watches the new champion against its parent and rolls back a live degradation.
///
/// No wall clock, no I/O, no unseeded randomness: the same inputs give the same versions, bytes and digests,
/// which is what crash recovery and replay rely on. `snapshot()`/`restore(from:)` persist the whole state.
public struct ModelTrainer: Sendable, Codable {
    public let model: String
    public let configuration: TrainerConfiguration
    public private(set) var encoder: FeatureEncoder
    /// The learner that continues from checkpoint to checkpoint (stateful mode).
    public private(set) var candidate: TrainableModel
    /// The promoted model, if any, and its version.
    public private(set) var champion: TrainableModel?
    public private(set) var championVersion: String?
    /// The champion's predecessor, kept for rollback.
    public private(set) var parent: TrainableModel?
    public private(set) var parentVersion: String?
    public private(set) var statistics = TrainerStatistics()
    /// Latest event time seen (ms).
    public private(set) var clock: Int64 = .min
    /// The champion's score and the target of the last example `process` was given, when there was a champion and
    /// the label was usable: what the promoted model would have said, before anything learned from the example.
    /// For observers (backtests); not part of the state or of snapshots.
    public private(set) var lastLiveScore: (score: Double, target: Double)?

    var versionsIssued = 0
    var championTrained: Int64 = 0
    var dedupeRing: [UInt64] = []
    var dedupeHead = 0
    var dedupe: Set<UInt64> = []
    var commandsSeen: [String] = []
    var staticHoldout: [TrainingRow] = []
    var recentHoldout: [TrainingRow] = []
    var recentHoldoutHead = 0
    var reservoir: [TrainingRow] = []
    var reservoirSeen: Int64 = 0
    var recent: [TrainingRow] = []
    var recentHead = 0
    var random: SplitMix64
    var pending: ExampleBatch
    var pendingEntities: [String: Int] = [:]
    var lineage = Lineage()
    var lastUpdateTime: Int64?
    var examplesSinceUpdate = 0
    var manualRequest: String?
    var driftRequest: String?
    var performanceRequest: String?
    var errorDetector: ADWIN?
    var liveScores: [Double] = []
    var liveTargets: [Double] = []
    var liveHead = 0
    var watch: RollbackWatch?

    struct Lineage: Sendable, Codable, Hashable {
        var examples: Int64 = 0
        var from: Int64?
        var to: Int64?
        /// "topic/partition" → [first, last + 1)
        var ranges: [String: [Int64]] = [:]
    }

    struct RollbackWatch: Sendable, Codable, Hashable {
        var version: String
        var scores: [Double] = []
        var parentScores: [Double] = []
        var targets: [Double] = []
    }

    /// Where an example was read from, for lineage.
    public struct Source: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public init(topic: String, partition: Int32, offset: Int64) { self.topic = topic; self.partition = partition; self.offset = offset }
    }

    public init(model: String, configuration: TrainerConfiguration) {
        self.model = model
        self.configuration = configuration
        encoder = FeatureEncoder(configuration: configuration.features)
        candidate = configuration.model.makeModel(width: configuration.features.maxDense, hashBits: configuration.features.hashBits)
        random = SplitMix64(seed: configuration.seed)
        pending = ExampleBatch(width: configuration.features.maxDense, capacity: configuration.batchSize)
        errorDetector = configuration.triggers.errorChangeDelta.flatMap { try? ADWIN(delta: $0) }
    }

    public var task: LearningTask { configuration.model.task }

    // MARK: Inputs

    /// The training target of `label`, or nil when the task cannot use it.
    public func target(_ label: LabelValue) -> Double? {
        Self.target(label, task: task, positiveLabel: configuration.positiveLabel)
    }

    /// The training target of `label` for `task`: a binary target is 1 for true, a number ≥ 0.5 or the positive
    /// class; a regression target is the number (true = 1, or a numeric string). nil when it cannot be used.
    public static func target(_ label: LabelValue, task: LearningTask, positiveLabel: String?) -> Double? {
        switch (task, label) {
        case (.binaryClassification, .bool(let b)): return b ? 1 : 0
        case (.binaryClassification, .number(let x)): return x >= 0.5 ? 1 : 0
        case (.binaryClassification, .string(let s)): return positiveLabel.map { s == $0 ? 1 : 0 }
        case (.regression, .number(let x)): return x
        case (.regression, .bool(let b)): return b ? 1 : 0
        case (.regression, .string(let s)): return Double(s)
        }
    }

    static func idHash(_ s: String) -> UInt64 {
        var t = s
        return t.withUTF8 { FeatureHashing.fnv1a(UnsafeRawBufferPointer($0)) }
    }

    /// Feeds one labeled example (of this model) read at `source`.
    public mutating func process(_ example: LabeledExample, source: Source? = nil, into output: inout TrainerOutput) {
        statistics.examples += 1
        lastLiveScore = nil
        let id = Self.idHash(example.eventID)
        if dedupe.contains(id) { statistics.duplicates += 1; return }
        remember(id)
        let time = (example.labelTime ?? example.predictionTime).milliseconds
        if time > clock { clock = time }
        guard let y = target(example.label) else { statistics.unusable += 1; return }
        var one = ExampleBatch(width: encoder.width, capacity: 1)
        encoder.append(example.features, target: y, to: &one)
        scoreLive(one)
        // Held out by a hash of the id: the same examples in every run and replay.
        let u = Double(FeatureHashing.fnv1a(byte: 0x68, id) >> 11) * 0x1p-53
        if u < configuration.holdoutFraction {
            statistics.heldOut += 1
            let row = one.row(0)
            if staticHoldout.count < configuration.staticHoldoutSize { staticHoldout.append(row) } else {
                Self.ring(&recentHoldout, &recentHoldoutHead, row, capacity: configuration.recentHoldoutSize)
            }
            return
        }
        if configuration.maxExamplesPerEntity > 0, let entity = example.entityID {
            let n = pendingEntities[entity, default: 0]
            if n >= configuration.maxExamplesPerEntity { statistics.capped += 1; return }
            pendingEntities[entity] = n + 1
        }
        let row = one.row(0)
        retain(row)
        pending.append(one, row: 0)
        lineage.examples += 1
        lineage.from = min(lineage.from ?? time, time)
        lineage.to = max(lineage.to ?? time, time)
        if let source {
            let key = "\(source.topic)/\(source.partition)"
            if var r = lineage.ranges[key] { r[0] = min(r[0], source.offset); r[1] = max(r[1], source.offset + 1); lineage.ranges[key] = r } else {
                lineage.ranges[key] = [source.offset, source.offset + 1]
            }
        }
        examplesSinceUpdate += 1
        if pending.count >= configuration.batchSize { trainPending(into: &output) }
    }

    /// Feeds an alert; a firing drift or performance alert for this model requests an evaluation (drift trigger).
    public mutating func process(_ alert: AlertEvent) {
        guard configuration.triggers.onDrift, alert.model == model, alert.status == .firing else { return }
        switch alert.kind {
        case .featureDrift, .predictionDrift, .labelDrift, .performance:
            driftRequest = "\(alert.kind.rawValue) on \(alert.subject) (alert \(alert.alertID))"
        default: break
        }
    }

    /// Applies an operator's command. A rollback to a version other than the champion's parent needs that
    /// version's model (`restoring`, loaded from the model store). Returns an error message when it cannot act.
    @discardableResult
    public mutating func process(_ command: ModelCommand, restoring: TrainableModel? = nil, into output: inout TrainerOutput) -> String? {
        guard command.model == model else { return "command for another model" }
        if commandsSeen.contains(command.commandID) { return nil }
        commandsSeen.append(command.commandID)
        if commandsSeen.count > 256 { commandsSeen.removeFirst(commandsSeen.count - 256) }
        let time = command.requestedAt.milliseconds
        if time > clock { clock = time }
        switch command.action {
        case .retrain:
            manualRequest = command.reason ?? "requested by \(command.commandID)"
            if !pending.isEmpty { trainPending(into: &output) } else { checkTriggers(into: &output) }
            return nil
        case .rollback:
            let detail = command.reason ?? "manual rollback (\(command.commandID))"
            if let to = command.toVersion, to != parentVersion {
                guard let restoring else { return "version \(to) is not the champion's parent and was not loaded" }
                rollback(to: restoring, restoredVersion: to, trigger: .init(kind: "manual", detail: detail), into: &output)
                return nil
            }
            guard let parent, let parentVersion else { return "the champion has no parent to roll back to" }
            rollback(to: parent, restoredVersion: parentVersion, trigger: .init(kind: "manual", detail: detail), into: &output)
            return nil
        }
    }

    // MARK: Internals

    static func ring(_ buffer: inout [TrainingRow], _ head: inout Int, _ row: TrainingRow, capacity: Int) {
        guard capacity > 0 else { return }
        if buffer.count < capacity { buffer.append(row) } else {
            buffer[head] = row
            head = (head + 1) % capacity
        }
    }

    static func ordered(_ buffer: [TrainingRow], head: Int) -> [TrainingRow] {
        Array(buffer[head...] + buffer[..<head])
    }

    private mutating func remember(_ id: UInt64) {
        let capacity = configuration.dedupeWindow
        if dedupeRing.count < capacity { dedupeRing.append(id) } else {
            dedupe.remove(dedupeRing[dedupeHead])
            dedupeRing[dedupeHead] = id
            dedupeHead = (dedupeHead + 1) % capacity
        }
        dedupe.insert(id)
    }

    private mutating func retain(_ row: TrainingRow) {
        reservoirSeen += 1
        if reservoir.count < configuration.reservoirSize { reservoir.append(row) } else if configuration.reservoirSize > 0 {
            let j = Int(random.next() % UInt64(reservoirSeen))
            if j < configuration.reservoirSize { reservoir[j] = row }
        }
        Self.ring(&recent, &recentHead, row, capacity: configuration.recentBufferSize)
    }

    /// The champion (and, while a rollback watch runs, its parent) score a live example before anything learns it.
    private mutating func scoreLive(_ one: ExampleBatch) {
        guard let champion else { return }
        let y = one.targets[0]
        let s = champion.predict(one)[0]
        lastLiveScore = (s, y)
        let window = configuration.triggers.performanceWindow
        if liveScores.count < window { liveScores.append(s); liveTargets.append(y) } else if window > 0 {
            liveScores[liveHead] = s; liveTargets[liveHead] = y; liveHead = (liveHead + 1) % window
        }
        if var d = errorDetector {
            let error = task == .regression ? abs(s - y) : ((s > 0.5) == (y >= 0.5) ? 0 : 1)
            let before = d.estimation
            d.update(error)
            if d.driftDetected && d.estimation > before && performanceRequest == nil {
                performanceRequest = "ADWIN: champion error rose to \(String(format: "%.3f", d.estimation))"
            }
            errorDetector = d
        }
        if var w = watch, let parent {
            w.scores.append(s)
            w.parentScores.append(parent.predict(one)[0])
            w.targets.append(y)
            watch = w
        }
    }

    private mutating func trainPending(into output: inout TrainerOutput) {
        guard !pending.isEmpty else { return }
        var batch = pending
        let fresh = batch.count
        let replay = Int((configuration.replayFraction * Double(configuration.batchSize)).rounded())
        if replay > 0, !reservoir.isEmpty {
            for _ in 0 ..< replay { batch.append(reservoir[Int(random.next() % UInt64(reservoir.count))]) }
            statistics.replayed += Int64(replay)
        }
        statistics.batches += 1
        statistics.trained += Int64(fresh)
        if configuration.mode == .stateful {
            var progressive: [Double] = []
            candidate.learn(batch, progressive: &progressive)
            let metric: EvaluationMetric = task == .regression ? .rmse : .logLoss
            for i in 0 ..< fresh {
                statistics.progressiveLoss += metric.loss(score: progressive[i], target: batch.targets[i])
                if task == .binaryClassification, (progressive[i] > 0.5) == (batch.targets[i] >= 0.5) { statistics.progressiveCorrect += 1 }
            }
            statistics.progressiveCount += Int64(fresh)
        }
        pending.removeAll()
        pendingEntities.removeAll()
        checkTriggers(into: &output)
    }

    private mutating func checkTriggers(into output: inout TrainerOutput) {
        checkRollbackWatch(into: &output)
        let t = configuration.triggers
        var fired: ModelUpdateEvent.Trigger?
        if let m = manualRequest {
            fired = .init(kind: "manual", detail: m)
        } else {
            if let last = lastUpdateTime, clock - last < t.minimumInterval { return }
            if let d = driftRequest {
                fired = .init(kind: "drift", detail: d)
            } else if let p = performanceRequest {
                fired = .init(kind: "performance", detail: p)
            } else if champion != nil, let metric = t.performanceMetric, let threshold = t.performanceThreshold,
                      liveScores.count >= max(1, t.performanceWindow / 2) {
                let v = metric.value(scores: liveScores, targets: liveTargets)
                if v.isFinite && (metric.higherIsBetter ? v < threshold : v > threshold) {
                    fired = .init(kind: "performance", detail: "champion \(metric.rawValue) \(String(format: "%.4f", v)) over the last \(liveScores.count) examples crosses \(threshold)")
                }
            }
            if fired == nil, let n = t.examples, examplesSinceUpdate >= n {
                fired = .init(kind: "volume", detail: "\(examplesSinceUpdate) new examples")
            }
            if fired == nil, let g = t.growth, champion != nil, Double(examplesSinceUpdate) >= g * Double(max(championTrained, 1)) {
                fired = .init(kind: "volume", detail: "\(examplesSinceUpdate) new examples, +\(Int(100 * Double(examplesSinceUpdate) / Double(max(championTrained, 1))))% of the champion's")
            }
            if fired == nil, let interval = t.interval {
                let since = lastUpdateTime ?? lineage.from ?? clock
                if clock - since >= interval, examplesSinceUpdate > 0 { fired = .init(kind: "time", detail: "\(clock - since) ms since the last update") }
            }
        }
        guard let trigger = fired else { return }
        guard examplesSinceUpdate > 0 || trigger.kind == "manual" else { return }
        evaluateAndPublish(trigger: trigger, into: &output)
    }

    private func heldOut(_ rows: [TrainingRow]) -> ExampleBatch { ExampleBatch(width: encoder.width, rows: rows) }

    private mutating func evaluateAndPublish(trigger: ModelUpdateEvent.Trigger, into output: inout TrainerOutput) {
        statistics.evaluations += 1
        var kind = ModelUpdateEvent.Kind.stateful
        var model = candidate
        if configuration.mode == .stateless {
            kind = .stateless
            model = configuration.model.makeModel(width: encoder.width, hashBits: encoder.configuration.hashBits)
            let rows = reservoir + Self.ordered(recent, head: recentHead)
            var progressive: [Double] = []
            var start = 0
            while start < rows.count {
                let end = min(start + configuration.batchSize, rows.count)
                model.learn(ExampleBatch(width: encoder.width, rows: rows[start ..< end]), progressive: &progressive)
                start = end
            }
            candidate = model
        }
        var sets: [EvaluationSet] = []
        for (name, rows) in [("static_holdout", staticHoldout), ("recent", Self.ordered(recentHoldout, head: recentHoldoutHead))] where !rows.isEmpty {
            let b = heldOut(rows)
            sets.append(EvaluationSet(name: name, targets: b.targets, candidate: model.predict(b), champion: champion?.predict(b)))
        }
        let decision = EvaluationGate.decide(task: task, candidateIsFinite: model.isFinite, sets: sets, policy: configuration.gate)
        versionsIssued += 1
        let version = "v\(versionsIssued)"
        let file = checkpointFile(version: version, learner: model)
        if let file { output.checkpoints.append(file) }
        let update = ModelUpdateEvent(
            model: self.model, version: version, parentVersion: championVersion, kind: kind, trigger: trigger,
            data: dataLineage(), metrics: decision.evaluations, decision: decision.promote ? .promoted : .rejected, reason: decision.reason,
            checkpoint: file.map { .init(uri: "file://" + $0.path, sha256: $0.sha256, bytes: Int64($0.bytes.count)) },
            parameters: inlineParameters(model), createdAt: EventTime(milliseconds: max(clock, 0)))
        output.updates.append(update)
        if decision.promote {
            statistics.promoted += 1
            parent = champion
            parentVersion = championVersion
            champion = model
            championVersion = version
            championTrained = model.steps
            if decision.refreshStaticHoldout {
                staticHoldout = Array(Self.ordered(recentHoldout, head: recentHoldoutHead).suffix(configuration.staticHoldoutSize))
                recentHoldout.removeAll()
                recentHoldoutHead = 0
            }
            resetLive()
            if configuration.rollback.enabled, parent != nil { watch = RollbackWatch(version: version) } else { watch = nil }
        } else {
            statistics.rejected += 1
            if configuration.resetOnReject, configuration.mode == .stateful, let champion { candidate = champion }
        }
        lineage = Lineage()
        examplesSinceUpdate = 0
        lastUpdateTime = clock
        manualRequest = nil
        driftRequest = nil
        performanceRequest = nil
    }

    private mutating func resetLive() {
        liveScores.removeAll(); liveTargets.removeAll(); liveHead = 0
        errorDetector = configuration.triggers.errorChangeDelta.flatMap { try? ADWIN(delta: $0) }
    }

    private mutating func checkRollbackWatch(into output: inout TrainerOutput) {
        guard let w = watch, let parent, let parentVersion else { return }
        guard w.targets.count >= configuration.rollback.window else { return }
        watch = nil
        var policy = configuration.gate
        policy.margin = configuration.rollback.margin
        let metric = policy.decisionMetric(for: task)
        guard let test = EvaluationGate.compare(metric: metric, candidate: w.scores, champion: w.parentScores, targets: w.targets, policy: policy),
              !test.passed else { return }
        let detail = "\(w.version) live \(metric.rawValue) \(EvaluationGate.fmt(test.candidate)) vs parent \(parentVersion) \(EvaluationGate.fmt(test.champion)) over \(w.targets.count) examples; restores \(parentVersion)"
        rollback(to: parent, restoredVersion: parentVersion, trigger: .init(kind: "performance", detail: detail), into: &output)
    }

    private mutating func rollback(to restored: TrainableModel, restoredVersion: String, trigger: ModelUpdateEvent.Trigger, into output: inout TrainerOutput) {
        statistics.rollbacks += 1
        versionsIssued += 1
        let version = "v\(versionsIssued)"
        let file = checkpointFile(version: version, learner: restored)
        if let file { output.checkpoints.append(file) }
        output.updates.append(ModelUpdateEvent(
            model: model, version: version, parentVersion: championVersion, kind: .rollback, trigger: trigger,
            data: .init(exampleCount: 0), metrics: [], decision: .promoted, reason: "restores \(restoredVersion)",
            checkpoint: file.map { .init(uri: "file://" + $0.path, sha256: $0.sha256, bytes: Int64($0.bytes.count)) },
            parameters: inlineParameters(restored), createdAt: EventTime(milliseconds: max(clock, 0))))
        parent = nil
        parentVersion = nil
        champion = restored
        championVersion = version
        championTrained = restored.steps
        watch = nil
        if configuration.mode == .stateful { candidate = restored }
        resetLive()
        lastUpdateTime = clock
    }

    private func dataLineage() -> ModelUpdateEvent.DataLineage {
        let ranges = lineage.ranges.keys.sorted().compactMap { key -> ModelUpdateEvent.OffsetRange? in
            guard let slash = key.lastIndex(of: "/"), let p = Int32(key[key.index(after: slash)...]), let r = lineage.ranges[key] else { return nil }
            return .init(topic: String(key[..<slash]), partition: p, from: r[0], to: r[1])
        }
        return .init(exampleCount: lineage.examples, eventTimeFrom: lineage.from.map { EventTime(milliseconds: $0) },
                     eventTimeTo: lineage.to.map { EventTime(milliseconds: $0) }, sourceOffsets: ranges)
    }

    /// Parameters are inline when their JSON is at most this size.
    public static let inlineParameterLimit = 256 * 1024

    private func inlineParameters(_ learner: TrainableModel) -> JSONValue? {
        let p = ModelParameters.export(learner, encoder: encoder)
        var w = JSONWriter()
        p.encode(into: &w)
        return w.bytes.count <= Self.inlineParameterLimit ? p : nil
    }

    private func checkpointFile(version: String, learner: TrainableModel) -> TrainerOutput.CheckpointFile? {
        guard let bytes = try? ModelArtifact(model: model, version: version, encoder: encoder, learner: learner).encoded() else { return nil }
        let path = "\(configuration.checkpointDirectory)/\(model)/\(version).ckpt"
        return .init(model: model, version: version, path: path, bytes: bytes, sha256: SHA256.hex(bytes))
    }

    // MARK: Persistence

    enum CodingKeys: String, CodingKey {
        case model, configuration, encoder, candidate, champion, championVersion, parent, parentVersion, statistics, clock
        case versionsIssued, championTrained, dedupeRing, dedupeHead, commandsSeen, staticHoldout, recentHoldout, recentHoldoutHead
        case reservoir, reservoirSeen, recent, recentHead, random, pending, pendingEntities, lineage, lastUpdateTime, examplesSinceUpdate
        case manualRequest, driftRequest, performanceRequest, errorDetector, liveScores, liveTargets, liveHead, watch
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        configuration = try c.decode(TrainerConfiguration.self, forKey: .configuration)
        encoder = try c.decode(FeatureEncoder.self, forKey: .encoder)
        candidate = try c.decode(TrainableModel.self, forKey: .candidate)
        champion = try c.decodeIfPresent(TrainableModel.self, forKey: .champion)
        championVersion = try c.decodeIfPresent(String.self, forKey: .championVersion)
        parent = try c.decodeIfPresent(TrainableModel.self, forKey: .parent)
        parentVersion = try c.decodeIfPresent(String.self, forKey: .parentVersion)
        statistics = try c.decode(TrainerStatistics.self, forKey: .statistics)
        clock = try c.decode(Int64.self, forKey: .clock)
        versionsIssued = try c.decode(Int.self, forKey: .versionsIssued)
        championTrained = try c.decode(Int64.self, forKey: .championTrained)
        dedupeRing = try c.decode(PackedArray<UInt64>.self, forKey: .dedupeRing).values
        dedupeHead = try c.decode(Int.self, forKey: .dedupeHead)
        dedupe = Set(dedupeRing)
        commandsSeen = try c.decode([String].self, forKey: .commandsSeen)
        staticHoldout = try c.decode(RowList.self, forKey: .staticHoldout).rows
        recentHoldout = try c.decode(RowList.self, forKey: .recentHoldout).rows
        recentHoldoutHead = try c.decode(Int.self, forKey: .recentHoldoutHead)
        reservoir = try c.decode(RowList.self, forKey: .reservoir).rows
        reservoirSeen = try c.decode(Int64.self, forKey: .reservoirSeen)
        recent = try c.decode(RowList.self, forKey: .recent).rows
        recentHead = try c.decode(Int.self, forKey: .recentHead)
        random = try c.decode(SplitMix64.self, forKey: .random)
        pending = try c.decode(ExampleBatch.self, forKey: .pending)
        pendingEntities = try c.decode([String: Int].self, forKey: .pendingEntities)
        lineage = try c.decode(Lineage.self, forKey: .lineage)
        lastUpdateTime = try c.decodeIfPresent(Int64.self, forKey: .lastUpdateTime)
        examplesSinceUpdate = try c.decode(Int.self, forKey: .examplesSinceUpdate)
        manualRequest = try c.decodeIfPresent(String.self, forKey: .manualRequest)
        driftRequest = try c.decodeIfPresent(String.self, forKey: .driftRequest)
        performanceRequest = try c.decodeIfPresent(String.self, forKey: .performanceRequest)
        errorDetector = try c.decodeIfPresent(ADWIN.self, forKey: .errorDetector)
        liveScores = try c.decode(PackedDoubles.self, forKey: .liveScores).values
        liveTargets = try c.decode(PackedDoubles.self, forKey: .liveTargets).values
        liveHead = try c.decode(Int.self, forKey: .liveHead)
        watch = try c.decodeIfPresent(RollbackWatch.self, forKey: .watch)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(self.encoder, forKey: .encoder)
        try c.encode(candidate, forKey: .candidate)
        try c.encodeIfPresent(champion, forKey: .champion)
        try c.encodeIfPresent(championVersion, forKey: .championVersion)
        try c.encodeIfPresent(parent, forKey: .parent)
        try c.encodeIfPresent(parentVersion, forKey: .parentVersion)
        try c.encode(statistics, forKey: .statistics)
        try c.encode(clock, forKey: .clock)
        try c.encode(versionsIssued, forKey: .versionsIssued)
        try c.encode(championTrained, forKey: .championTrained)
        try c.encode(PackedArray(dedupeRing), forKey: .dedupeRing)
        try c.encode(dedupeHead, forKey: .dedupeHead)
        try c.encode(commandsSeen, forKey: .commandsSeen)
        try c.encode(RowList(staticHoldout), forKey: .staticHoldout)
        try c.encode(RowList(recentHoldout), forKey: .recentHoldout)
        try c.encode(recentHoldoutHead, forKey: .recentHoldoutHead)
        try c.encode(RowList(reservoir), forKey: .reservoir)
        try c.encode(reservoirSeen, forKey: .reservoirSeen)
        try c.encode(RowList(recent), forKey: .recent)
        try c.encode(recentHead, forKey: .recentHead)
        try c.encode(random, forKey: .random)
        try c.encode(pending, forKey: .pending)
        try c.encode(pendingEntities, forKey: .pendingEntities)
        try c.encode(lineage, forKey: .lineage)
        try c.encodeIfPresent(lastUpdateTime, forKey: .lastUpdateTime)
        try c.encode(examplesSinceUpdate, forKey: .examplesSinceUpdate)
        try c.encodeIfPresent(manualRequest, forKey: .manualRequest)
        try c.encodeIfPresent(driftRequest, forKey: .driftRequest)
        try c.encodeIfPresent(performanceRequest, forKey: .performanceRequest)
        try c.encodeIfPresent(errorDetector, forKey: .errorDetector)
        try c.encode(PackedDoubles(liveScores), forKey: .liveScores)
        try c.encode(PackedDoubles(liveTargets), forKey: .liveTargets)
        try c.encode(liveHead, forKey: .liveHead)
        try c.encodeIfPresent(watch, forKey: .watch)
    }

    /// The whole state as bytes (JSON, weights packed).
    public func snapshot() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try e.encode(self))
    }

    public static func restore(from bytes: [UInt8]) throws -> ModelTrainer {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try d.decode(ModelTrainer.self, from: Data(bytes))
    }
}
